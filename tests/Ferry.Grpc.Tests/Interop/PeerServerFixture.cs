using System.Collections.Concurrent;
using Ferry.Grpc.Client;
using Ferry.Grpc.Tests.Tls;

namespace Ferry.Grpc.Tests.Interop;

/// <summary>
/// The peers' interop servers, each started once per peer and security on first use (a child process on an
/// ephemeral port, ready once it prints <c>LISTENING &lt;port&gt;</c>), with a Ferry channel to it; all stopped
/// when the test class ends.
/// </summary>
public sealed class PeerServerFixture : IAsyncLifetime
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<(Peer, TransportSecurity), Lazy<Task<RunningServer>>> _servers = new();

    public TestCertificates Certificates { get; } = new();

    /// <summary>A channel to the peer's server; mutual TLS presents the client certificate and expects the name localhost.</summary>
    internal async Task<(GrpcChannel Channel, PeerProcess Server)> GetAsync(Peer peer, TransportSecurity security)
    {
        var server = await _servers.GetOrAdd((peer, security), key => new Lazy<Task<RunningServer>>(() => StartAsync(key.Item1, key.Item2)))
            .Value.WaitAsync(s_startTimeout);
        return (server.Channel, server.Process);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var lazy in _servers.Values.Where(l => l.IsValueCreated))
        {
            // A start still under way either succeeds or disposes its process itself; wait for it to settle.
            await Task.WhenAny(lazy.Value).WaitAsync(s_startTimeout);
            if (lazy.Value.IsCompletedSuccessfully)
            {
                var server = lazy.Value.Result;
                server.Channel.Dispose();
                await server.Process.DisposeAsync();
            }
        }

        Certificates.Dispose();
    }

    private async Task<RunningServer> StartAsync(Peer peer, TransportSecurity security)
    {
        var process = Peers.StartServer(peer, security, Certificates);
        try
        {
            var port = await Peers.WaitForListeningAsync(process, s_startTimeout);
            var channel = security == TransportSecurity.Plaintext
                ? GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 })
                : GrpcChannel.ForAddress($"https://127.0.0.1:{port}", new GrpcChannelOptions
                {
                    MaxReceiveMessageSize = 16 * 1024 * 1024,
                    Tls = security == TransportSecurity.MutualTls
                        ? Certificates.ClientTls(presentClientCertificate: true, serverNameOverride: "localhost")
                        : Certificates.ClientTls(),
                });
            return new RunningServer(process, channel);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    private sealed record RunningServer(PeerProcess Process, GrpcChannel Channel);
}
