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
/// nginx in front of the gateway, which forwards to Ferry's interop TestService: per security (plaintext: h2c on every
/// hop; TLS: TLS from the client to nginx and from nginx to the gateway's listener, nginx verifying the gateway's
/// certificate), made on first use, with one run of each peer client through it; all stopped when the class ends.
/// </summary>
public sealed class NginxFrontedGatewayFixture : IAsyncLifetime
{
    private const int MaxMessageSize = 16 * 1024 * 1024;
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(120);

    private readonly ConcurrentDictionary<TransportSecurity, Lazy<Task<Chain>>> _chains = new();
    private readonly ConcurrentDictionary<(Peer, TransportSecurity), Lazy<Task<PeerRun>>> _runs = new();

    public TestCertificates Certificates { get; } = new();

    internal Task<Chain> GetAsync(TransportSecurity security) =>
        _chains.GetOrAdd(security, key => new Lazy<Task<Chain>>(() => StartAsync(key))).Value.WaitAsync(s_startTimeout * 2);

    internal Task<PeerRun> GetPeerRunAsync(Peer peer, TransportSecurity security) =>
        _runs.GetOrAdd((peer, security), key => new Lazy<Task<PeerRun>>(() => RunPeerClientAsync(key.Item1, key.Item2)))
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

    private async Task<Chain> StartAsync(TransportSecurity security)
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
            var nginx = await NginxProxy.StartAsync(new NginxSite
            {
                UpstreamPort = gateway.EndPoint.Port,
                ListenerTls = tls ? Certificates : null,
                UpstreamTls = tls ? Certificates : null,
            });
            var channel = GrpcChannel.ForAddress(nginx.Address, new GrpcChannelOptions
            {
                MaxReceiveMessageSize = MaxMessageSize,
                Tls = tls ? Certificates.ClientTls() : null,
            });
            return new Chain(backend, gateway, nginx, channel);
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

    private async Task<PeerRun> RunPeerClientAsync(Peer peer, TransportSecurity security)
    {
        var chain = await GetAsync(security);
        await using var client = Peers.StartClient(peer, chain.Nginx.Port, security, Certificates);
        var exitCode = await client.WaitForExitAsync(s_runTimeout);
        return new PeerRun(exitCode, PeerClientReport.Parse(client.StandardOutputLines), client.Describe() + Environment.NewLine + chain.Nginx.Describe());
    }

    internal sealed record Chain(GrpcTestServer Backend, TestGateway Gateway, NginxProxy Nginx, GrpcChannel Channel) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Channel.Dispose();
            await Nginx.DisposeAsync();
            await Gateway.DisposeAsync();
            await Backend.DisposeAsync();
        }
    }

    internal sealed record PeerRun(int ExitCode, PeerClientReport Report, string Description);
}
