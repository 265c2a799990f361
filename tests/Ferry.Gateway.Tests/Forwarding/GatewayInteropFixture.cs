using System.Collections.Concurrent;
using Ferry.Gateway.Config;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc.Client;
using Ferry.Grpc.Testing;
using Ferry.Grpc.Tests.Interop;
using Ferry.Grpc.Tests.Tls;
using Ferry.Interop;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// The backends, gateways and peer-client runs of <see cref="InteropMatrix"/>, each made on first use and shared by
/// the per-case tests: backends per implementation and security (Ferry's TestService in process, or a peer interop
/// server as a child process), one gateway per row in front of its backend, and one run of a peer client per row.
/// Everything is stopped (child processes killed) when the test class ends.
/// </summary>
public sealed class GatewayInteropFixture : IAsyncLifetime
{
    private const int MaxMessageSize = 16 * 1024 * 1024;
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(120);

    private readonly ConcurrentDictionary<(Implementation, TransportSecurity), Lazy<Task<RunningBackend>>> _backends = new();
    private readonly ConcurrentDictionary<InteropRow, Lazy<Task<RunningGateway>>> _gateways = new();
    private readonly ConcurrentDictionary<InteropRow, Lazy<Task<PeerRun>>> _runs = new();

    public TestCertificates Certificates { get; } = new();

    /// <summary>The gateway of <paramref name="row"/> (started with its backend on first use) and a Ferry channel to it.</summary>
    internal Task<RunningGateway> GetGatewayAsync(InteropRow row) =>
        _gateways.GetOrAdd(row, key => new Lazy<Task<RunningGateway>>(() => StartGatewayAsync(key))).Value.WaitAsync(s_startTimeout * 2);

    /// <summary>The peer client's run of every case through the gateway of <paramref name="row"/>.</summary>
    internal Task<PeerRun> GetPeerRunAsync(InteropRow row) =>
        _runs.GetOrAdd(row, key => new Lazy<Task<PeerRun>>(() => RunPeerClientAsync(key))).Value.WaitAsync(s_runTimeout + (s_startTimeout * 2));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var gateway in Completed(_gateways.Values))
        {
            gateway.Channel.Dispose();
            await gateway.Gateway.DisposeAsync();
        }

        foreach (var backend in Completed(_backends.Values))
        {
            await backend.DisposeAsync();
        }

        Certificates.Dispose();
    }

    private static IEnumerable<T> Completed<T>(IEnumerable<Lazy<Task<T>>> values) =>
        values.Where(lazy => lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully).Select(lazy => lazy.Value.Result);

    private async Task<RunningGateway> StartGatewayAsync(InteropRow row)
    {
        var backend = await _backends.GetOrAdd((row.Backend, row.BackendSide), key => new Lazy<Task<RunningBackend>>(() => StartBackendAsync(key.Item1, key.Item2)))
            .Value.WaitAsync(s_startTimeout);
        var cluster = new ClusterConfig
        {
            Name = "interop",
            Endpoints = [new EndpointConfig { Address = $"127.0.0.1:{backend.Port}" }],
            Tls = row.BackendSide switch
            {
                TransportSecurity.Plaintext => null,
                TransportSecurity.Tls => new UpstreamTlsConfig { Ca = Certificates.CaFile, ServerName = "localhost" },
                _ => new UpstreamTlsConfig { Ca = Certificates.CaFile, ServerName = "localhost", ClientCert = Certificates.ClientFile, ClientKey = Certificates.ClientKeyFile },
            },
        };
        var listenerTls = row.ClientSide switch
        {
            TransportSecurity.Plaintext => null,
            TransportSecurity.Tls => new ListenerTlsConfig { Cert = Certificates.ServerFile, Key = Certificates.ServerKeyFile },
            _ => new ListenerTlsConfig { Cert = Certificates.ServerFile, Key = Certificates.ServerKeyFile, ClientCa = Certificates.CaFile },
        };
        var gateway = await TestGateway.StartAsync(GatewayConfigs.Single(cluster, tls: listenerTls));
        var channel = GrpcChannel.ForAddress(gateway.Address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = MaxMessageSize,
            Tls = row.ClientSide switch
            {
                TransportSecurity.Plaintext => null,
                TransportSecurity.Tls => Certificates.ClientTls(),
                _ => Certificates.ClientTls(presentClientCertificate: true, serverNameOverride: "localhost"),
            },
        });
        return new RunningGateway(gateway, channel, backend);
    }

    private async Task<RunningBackend> StartBackendAsync(Implementation implementation, TransportSecurity security)
    {
        if (implementation == Implementation.Ferry)
        {
            var server = await GrpcTestServer.StartAsync(s =>
            {
                s.AddService<TestServiceImpl>().WithGrpcOptions(o => o.MaxReceiveMessageSize = MaxMessageSize);
                if (security != TransportSecurity.Plaintext)
                {
                    s.UseTls(Certificates.ServerTls(requireClientCertificate: security == TransportSecurity.MutualTls));
                }
            });
            return new RunningBackend(server.Address.Port, server, null);
        }

        var process = Peers.StartServer(implementation.ToPeer(), security, Certificates);
        try
        {
            return new RunningBackend(await Peers.WaitForListeningAsync(process, s_startTimeout), null, process);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    private async Task<PeerRun> RunPeerClientAsync(InteropRow row)
    {
        var gateway = await GetGatewayAsync(row);
        await using var client = Peers.StartClient(row.Client.ToPeer(), gateway.Gateway.EndPoint.Port, row.ClientSide, Certificates);
        var exitCode = await client.WaitForExitAsync(s_runTimeout);
        return new PeerRun(exitCode, PeerClientReport.Parse(client.StandardOutputLines), client.Describe() + Environment.NewLine + gateway.Backend.Describe());
    }

    internal sealed record RunningGateway(TestGateway Gateway, GrpcChannel Channel, RunningBackend Backend);

    internal sealed record RunningBackend(int Port, GrpcTestServer? Server, PeerProcess? Process) : IAsyncDisposable
    {
        public string Describe() => Process?.Describe() ?? $"Ferry backend on port {Port}.";

        public async ValueTask DisposeAsync()
        {
            if (Server is not null)
            {
                await Server.DisposeAsync();
            }

            if (Process is not null)
            {
                await Process.DisposeAsync();
            }
        }
    }

    internal sealed record PeerRun(int ExitCode, PeerClientReport Report, string Description);
}
