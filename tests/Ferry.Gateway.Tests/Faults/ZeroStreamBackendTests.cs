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
        await using var backend = new RawHttp2Backend(RawHttp2Backend.AnnounceThenListen((Http2SettingId.MaxConcurrentStreams, 0u)));
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
}
