using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Ferry.Gateway.Config;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Ferry.Grpc.Http2;

namespace Ferry.Gateway.Tests.Faults;

/// <summary>
/// A backend that accepts connections but allows no streams on them (SETTINGS_MAX_CONCURRENT_STREAMS 0, as an
/// overloaded server may announce) must not make the gateway dial without end: it opens at most
/// connection.max_connections, then fails the call with UNAVAILABLE naming that limit.
/// </summary>
public sealed class ZeroStreamBackendTests
{
    [Fact]
    public async Task Calls_to_a_backend_that_allows_no_streams_fail_after_at_most_max_connections_dials()
    {
        await using var backend = new ZeroStreamBackend();
        var cluster = GatewayConfigs.Cluster("c", [new EndpointConfig { Address = $"127.0.0.1:{backend.Port}" }]) with
        {
            Connection = new ConnectionConfig { MaxConnections = 3, DialTimeout = TimeSpan.FromMilliseconds(300) },
        };
        await using var gateway = await TestGateway.StartAsync(cluster);

        for (var i = 0; i < 2; i++)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default));
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
            Assert.Contains("connection.max_connections", error.Status.Detail);
        }

        // The second call found the same three connections still full: no new dial.
        Assert.Equal(3, backend.Connections);
    }

    /// <summary>An HTTP/2 server on a raw socket that announces a concurrent stream limit of 0 and then only listens.</summary>
    private sealed class ZeroStreamBackend : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;
        private int _connections;

        public ZeroStreamBackend()
        {
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        private async Task AcceptAsync()
        {
            var served = new List<Task>();
            try
            {
                while (true)
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                    served.Add(ServeAsync(socket));
                }
            }
            catch (OperationCanceledException)
            {
            }

            await Task.WhenAll(served);
        }

        private async Task ServeAsync(Socket socket)
        {
            await using var stream = new NetworkStream(socket, ownsSocket: true);
            try
            {
                var preface = new byte[24];
                await stream.ReadExactlyAsync(preface, _stop.Token);
                var settings = new ArrayBufferWriter<byte>();
                Http2FrameWriter.WriteSettings(settings, [(Http2SettingId.MaxConcurrentStreams, 0u)]);
                await stream.WriteAsync(settings.WrittenMemory, _stop.Token);
                var sink = new byte[4096];
                while (await stream.ReadAsync(sink, _stop.Token) > 0)
                {
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            await _accepting;
        }
    }
}
