using System.Collections.Concurrent;
using Ferry.Grpc.Client;
using Ferry.Grpc.Testing;
using Ferry.Grpc.Tests.Interop;
using Ferry.Grpc.Tests.Tls;
using Ferry.Interop;

namespace Ferry.Grpc.Tests.Proxies;

/// <summary>
/// Ferry's interop server in process behind a proxy, per proxy and security (plaintext: h2c on both of the proxy's
/// sides; TLS: TLS on both, the proxy verifying Ferry's certificate), and one run of each peer client through it,
/// made on first use and shared by the per-case tests; all stopped when the test class ends.
/// </summary>
public sealed class ProxyFrontedServerFixture : IAsyncLifetime
{
    private const int MaxMessageSize = 16 * 1024 * 1024;
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(120);

    private readonly ConcurrentDictionary<(ProxyKind, TransportSecurity), Lazy<Task<Fronted>>> _servers = new();
    private readonly ConcurrentDictionary<(Peer, ProxyKind, TransportSecurity), Lazy<Task<PeerRun>>> _runs = new();

    public TestCertificates Certificates { get; } = new();

    /// <summary>Ferry's server behind <paramref name="kind"/> with <paramref name="security"/>, and a Ferry channel to the proxy.</summary>
    internal Task<Fronted> GetAsync(ProxyKind kind, TransportSecurity security) =>
        _servers.GetOrAdd((kind, security), key => new Lazy<Task<Fronted>>(() => StartAsync(key.Item1, key.Item2))).Value.WaitAsync(s_startTimeout * 2);

    /// <summary>The peer client's run of every case through the proxy to Ferry's server.</summary>
    internal Task<PeerRun> GetPeerRunAsync(Peer peer, ProxyKind kind, TransportSecurity security) =>
        _runs.GetOrAdd((peer, kind, security), key => new Lazy<Task<PeerRun>>(() => RunPeerClientAsync(key.Item1, key.Item2, key.Item3)))
            .Value.WaitAsync(s_runTimeout + (s_startTimeout * 2));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var run in _runs.Values.Where(l => l.IsValueCreated))
        {
            await Task.WhenAny(run.Value).WaitAsync(s_runTimeout + s_startTimeout);
        }

        foreach (var lazy in _servers.Values.Where(l => l.IsValueCreated))
        {
            await Task.WhenAny(lazy.Value).WaitAsync(s_startTimeout * 2);
            if (lazy.Value.IsCompletedSuccessfully)
            {
                await lazy.Value.Result.DisposeAsync();
            }
        }

        Certificates.Dispose();
    }

    private async Task<Fronted> StartAsync(ProxyKind kind, TransportSecurity security)
    {
        var tls = security == TransportSecurity.Tls;
        var server = await GrpcTestServer.StartAsync(s =>
        {
            s.AddService<TestServiceImpl>().WithGrpcOptions(o => o.MaxReceiveMessageSize = MaxMessageSize);
            if (tls)
            {
                s.UseTls(Certificates.ServerTls());
            }
        });
        try
        {
            var proxy = await GrpcProxies.StartAsync(kind, new ProxySite
            {
                UpstreamPort = server.Address.Port,
                ListenerTls = tls ? Certificates : null,
                UpstreamTls = tls ? Certificates : null,
            });
            var channel = GrpcChannel.ForAddress(proxy.Address, new GrpcChannelOptions
            {
                MaxReceiveMessageSize = MaxMessageSize,
                Tls = tls ? Certificates.ClientTls() : null,
            });
            return new Fronted(server, proxy, channel);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private async Task<PeerRun> RunPeerClientAsync(Peer peer, ProxyKind kind, TransportSecurity security)
    {
        var fronted = await GetAsync(kind, security);
        await using var client = Peers.StartClient(peer, fronted.Proxy.Port, security, Certificates);
        var exitCode = await client.WaitForExitAsync(s_runTimeout);
        return new PeerRun(exitCode, PeerClientReport.Parse(client.StandardOutputLines), client.Describe() + Environment.NewLine + fronted.Proxy.Describe());
    }

    internal sealed record Fronted(GrpcTestServer Server, IGrpcProxy Proxy, GrpcChannel Channel) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Channel.Dispose();
            await Proxy.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    internal sealed record PeerRun(int ExitCode, PeerClientReport Report, string Description);
}
