using System.Collections.Concurrent;
using Ferry.Gateway.Config;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc.Client;
using Ferry.Grpc.Testing;
using Ferry.Grpc.Tests.Interop;
using Ferry.Grpc.Tests.Proxies;
using Ferry.Grpc.Tests.Tls;
using Ferry.Interop;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// A proxy in front of the gateway, which forwards to Ferry's interop TestService: per proxy and security (plaintext:
/// h2c on every hop; TLS: TLS from the client to the proxy and from the proxy to the gateway's listener, the proxy
/// verifying the gateway's certificate), made on first use, with one run of each peer client through it; all
/// stopped when the class ends.
/// </summary>
public sealed class ProxyFrontedGatewayFixture : IAsyncLifetime
{
    private const int MaxMessageSize = 16 * 1024 * 1024;
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(120);

    private readonly ConcurrentDictionary<(ProxyKind, TransportSecurity), Lazy<Task<Chain>>> _chains = new();
    private readonly ConcurrentDictionary<(Peer, ProxyKind, TransportSecurity), Lazy<Task<PeerRun>>> _runs = new();

    public TestCertificates Certificates { get; } = new();

    internal Task<Chain> GetAsync(ProxyKind kind, TransportSecurity security) =>
        _chains.GetOrAdd((kind, security), key => new Lazy<Task<Chain>>(() => StartAsync(key.Item1, key.Item2))).Value.WaitAsync(s_startTimeout * 2);

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

    private async Task<Chain> StartAsync(ProxyKind kind, TransportSecurity security)
    {
        var tls = security == TransportSecurity.Tls;
        GrpcTestServer? backend = null;
        TestGateway? gateway = null;
        try
        {
            backend = await GrpcTestServer.StartAsync(s => s.AddService<TestServiceImpl>().WithGrpcOptions(o => o.MaxReceiveMessageSize = MaxMessageSize));
            var cluster = new ClusterConfig { Name = "interop", Endpoints = [new EndpointConfig { Address = $"127.0.0.1:{backend.Address.Port}" }] };
            var listenerTls = tls ? new ListenerTlsConfig { Cert = Certificates.ServerFile, Key = Certificates.ServerKeyFile } : null;
            gateway = await TestGateway.StartAsync(GatewayConfigs.Single(cluster, tls: listenerTls));
            var proxy = await GrpcProxies.StartAsync(kind, new ProxySite
            {
                UpstreamPort = gateway.EndPoint.Port,
                ListenerTls = tls ? Certificates : null,
                UpstreamTls = tls ? Certificates : null,
            });
            var channel = GrpcChannel.ForAddress(proxy.Address, new GrpcChannelOptions
            {
                MaxReceiveMessageSize = MaxMessageSize,
                Tls = tls ? Certificates.ClientTls() : null,
            });
            return new Chain(backend, gateway, proxy, channel);
        }
        catch
        {
            if (gateway is not null)
            {
                await gateway.DisposeAsync();
            }

            if (backend is not null)
            {
                await backend.DisposeAsync();
            }

            throw;
        }
    }

    private async Task<PeerRun> RunPeerClientAsync(Peer peer, ProxyKind kind, TransportSecurity security)
    {
        var chain = await GetAsync(kind, security);
        await using var client = Peers.StartClient(peer, chain.Proxy.Port, security, Certificates);
        var exitCode = await client.WaitForExitAsync(s_runTimeout);
        return new PeerRun(exitCode, PeerClientReport.Parse(client.StandardOutputLines), client.Describe() + Environment.NewLine + chain.Proxy.Describe());
    }

    internal sealed record Chain(GrpcTestServer Backend, TestGateway Gateway, IGrpcProxy Proxy, GrpcChannel Channel) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Channel.Dispose();
            await Proxy.DisposeAsync();
            await Gateway.DisposeAsync();
            await Backend.DisposeAsync();
        }
    }

    internal sealed record PeerRun(int ExitCode, PeerClientReport Report, string Description);
}
