using System.Collections.Concurrent;
using Ferry.Grpc.Testing;
using Ferry.Grpc.Tests.Tls;
using Ferry.Interop;

namespace Ferry.Grpc.Tests.Interop;

/// <summary>
/// Ferry's interop server in process (one per security, 16 MiB messages), and one run of each peer's interop
/// client against it per security, made on first use and shared by the per-case tests; all stopped when the test
/// class ends.
/// </summary>
public sealed class PeerClientFixture : IAsyncLifetime
{
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(120);

    private readonly ConcurrentDictionary<TransportSecurity, Lazy<Task<GrpcTestServer>>> _servers = new();
    private readonly ConcurrentDictionary<(Peer, TransportSecurity), Lazy<Task<Run>>> _runs = new();

    public TestCertificates Certificates { get; } = new();

    /// <summary>The peer client's run against Ferry's server with <paramref name="security"/>.</summary>
    internal Task<Run> GetRunAsync(Peer peer, TransportSecurity security) =>
        _runs.GetOrAdd((peer, security), key => new Lazy<Task<Run>>(() => RunClientAsync(key.Item1, key.Item2)))
            .Value.WaitAsync(s_runTimeout + TimeSpan.FromSeconds(30));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // A run still under way kills its client process when it ends; the servers must outlive it.
        foreach (var run in _runs.Values.Where(l => l.IsValueCreated))
        {
            await Task.WhenAny(run.Value).WaitAsync(s_runTimeout + TimeSpan.FromSeconds(30));
        }

        foreach (var lazy in _servers.Values.Where(l => l.IsValueCreated))
        {
            await Task.WhenAny(lazy.Value).WaitAsync(s_runTimeout);
            if (lazy.Value.IsCompletedSuccessfully)
            {
                await lazy.Value.Result.DisposeAsync();
            }
        }

        Certificates.Dispose();
    }

    private async Task<Run> RunClientAsync(Peer peer, TransportSecurity security)
    {
        var server = await _servers.GetOrAdd(security, key => new Lazy<Task<GrpcTestServer>>(() => StartServerAsync(key)))
            .Value.WaitAsync(TimeSpan.FromSeconds(30));
        await using var client = Peers.StartClient(peer, server.Address.Port, security, Certificates);
        var exitCode = await client.WaitForExitAsync(s_runTimeout);
        return new Run(exitCode, PeerClientReport.Parse(client.StandardOutputLines), client.Describe());
    }

    private Task<GrpcTestServer> StartServerAsync(TransportSecurity security) => GrpcTestServer.StartAsync(s =>
    {
        s.AddService<TestServiceImpl>().WithGrpcOptions(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);
        if (security != TransportSecurity.Plaintext)
        {
            s.UseTls(Certificates.ServerTls(requireClientCertificate: security == TransportSecurity.MutualTls));
        }
    });

    internal sealed record Run(int ExitCode, PeerClientReport Report, string Description);
}
