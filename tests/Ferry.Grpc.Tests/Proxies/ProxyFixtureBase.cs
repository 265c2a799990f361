using System.Collections.Concurrent;
using Ferry.Grpc.Client;
using Ferry.Grpc.Tests.Interop;
using Ferry.Grpc.Tests.Tls;
using Ferry.Interop;

namespace Ferry.Grpc.Tests.Proxies;

/// <summary>
/// What a class fixture with a proxy in front of a Ferry upstream keeps: per proxy and security, the chain (made on
/// first use by <see cref="StartChainAsync"/>) and one run of each peer client through it, shared by the per-case
/// tests; everything stopped (child processes killed) when the test class ends.
/// </summary>
public abstract class ProxyFixtureBase : IAsyncLifetime
{
    /// <summary>Messages up to this size pass (the interop cases need more than the 4 MiB default).</summary>
    protected const int MaxMessageSize = 16 * 1024 * 1024;

    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(120);

    private readonly ConcurrentDictionary<(ProxyKind, TransportSecurity), Lazy<Task<ProxyChain>>> _chains = new();
    private readonly ConcurrentDictionary<(Peer, ProxyKind, TransportSecurity), Lazy<Task<ProxyPeerRun>>> _runs = new();

    public TestCertificates Certificates { get; } = new();

    /// <summary>The chain behind <paramref name="kind"/> with <paramref name="security"/>, and a Ferry channel to the proxy.</summary>
    internal Task<ProxyChain> GetAsync(ProxyKind kind, TransportSecurity security) =>
        _chains.GetOrAdd((kind, security), key => new Lazy<Task<ProxyChain>>(() => StartChainAsync(key.Item1, key.Item2))).Value.WaitAsync(s_startTimeout * 2);

    /// <summary>The peer client's run of every case through the proxy.</summary>
    internal Task<ProxyPeerRun> GetPeerRunAsync(Peer peer, ProxyKind kind, TransportSecurity security) =>
        _runs.GetOrAdd((peer, kind, security), key => new Lazy<Task<ProxyPeerRun>>(() => RunPeerClientAsync(key.Item1, key.Item2, key.Item3)))
            .Value.WaitAsync(s_runTimeout + (s_startTimeout * 2));

    /// <summary>Runs one interop case with Ferry's client through the chain; a failure names the proxy and shows its output.</summary>
    internal async Task AssertFerryCaseAsync(ProxyKind kind, TransportSecurity security, string testCase)
    {
        var chain = await GetAsync(kind, security);
        var client = new InteropClient(chain.Channel.CreateCallInvoker());
        var error = await Record.ExceptionAsync(() => client.RunCaseAsync(testCase).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.True(error is null, $"{testCase} through {kind} to {Upstream} ({security}) failed: {error}{Environment.NewLine}{chain.Proxy.Describe()}");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var run in _runs.Values.Where(l => l.IsValueCreated))
        {
            await Task.WhenAny(run.Value).WaitAsync(s_runTimeout + s_startTimeout);
        }

        foreach (var lazy in _chains.Values.Where(l => l.IsValueCreated))
        {
            await Task.WhenAny(lazy.Value).WaitAsync(s_startTimeout * 2);
            if (lazy.Value.IsCompletedSuccessfully)
            {
                await lazy.Value.Result.DisposeAsync();
            }
        }

        Certificates.Dispose();
    }

    /// <summary>What the proxy fronts, for assertion messages.</summary>
    private protected abstract string Upstream { get; }

    /// <summary>Starts the upstream and the proxy in front of it; what was started is stopped if a later step fails.</summary>
    private protected abstract Task<ProxyChain> StartChainAsync(ProxyKind kind, TransportSecurity security);

    /// <summary>
    /// Starts <paramref name="kind"/> in front of <paramref name="upstreamPort"/> (TLS on both of its sides with TLS) and
    /// a Ferry channel to it; <paramref name="stopUpstream"/> runs after the proxy stopped, or at once if it failed to start.
    /// </summary>
    private protected async Task<ProxyChain> FrontAsync(ProxyKind kind, TransportSecurity security, int upstreamPort, Func<ValueTask> stopUpstream)
    {
        var tls = security == TransportSecurity.Tls;
        try
        {
            var proxy = await GrpcProxies.StartAsync(kind, new ProxySite
            {
                UpstreamPort = upstreamPort,
                ListenerTls = tls ? Certificates : null,
                UpstreamTls = tls ? Certificates : null,
            });
            var channel = GrpcChannel.ForAddress(proxy.Address, new GrpcChannelOptions
            {
                MaxReceiveMessageSize = MaxMessageSize,
                Tls = tls ? Certificates.ClientTls() : null,
            });
            return new ProxyChain(proxy, channel, stopUpstream);
        }
        catch
        {
            await stopUpstream();
            throw;
        }
    }

    private async Task<ProxyPeerRun> RunPeerClientAsync(Peer peer, ProxyKind kind, TransportSecurity security)
    {
        var chain = await GetAsync(kind, security);
        await using var client = Peers.StartClient(peer, chain.Proxy.Port, security, Certificates);
        var exitCode = await client.WaitForExitAsync(s_runTimeout);
        return new ProxyPeerRun(exitCode, PeerClientReport.Parse(client.StandardOutputLines), $"through {kind} to {Upstream} ({security})", client.Describe() + Environment.NewLine + chain.Proxy.Describe());
    }
}

/// <summary>A proxy in front of an upstream that <see cref="StopUpstream"/> stops, and a Ferry channel to the proxy.</summary>
internal sealed record ProxyChain(IGrpcProxy Proxy, GrpcChannel Channel, Func<ValueTask> StopUpstream) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Proxy.DisposeAsync();
        await StopUpstream();
    }
}

/// <summary>A peer client's run of every case: exit code, parsed report, its route, and what to print when an assertion fails.</summary>
internal sealed record ProxyPeerRun(int ExitCode, PeerClientReport Report, string Route, string Description)
{
    /// <summary>
    /// Asserts <paramref name="testCase"/> as against Ferry's server directly: the peer's documented SKIP where
    /// <see cref="PeerLimitations"/> has one, else PASS, or a FAIL whose reason contains
    /// <paramref name="knownFailureEvidence"/> when the caller knows of one.
    /// </summary>
    public void AssertCase(Peer peer, string testCase, string? knownFailureEvidence = null)
    {
        Assert.True(Report.Cases.TryGetValue(testCase, out var result), $"The {peer} client did not report {testCase}.{Environment.NewLine}{Description}");
        if (PeerLimitations.IsDocumentedSkip(peer, testCase, result))
        {
            return;
        }

        if (knownFailureEvidence is not null && result.Outcome == "FAIL")
        {
            Assert.Contains(knownFailureEvidence, result.Reason, StringComparison.Ordinal);
            return;
        }

        Assert.True(result.Outcome == "PASS", $"The {peer} client {Route} reported '{result.Outcome} {testCase}: {result.Reason}'.{Environment.NewLine}{Description}");
    }
}
