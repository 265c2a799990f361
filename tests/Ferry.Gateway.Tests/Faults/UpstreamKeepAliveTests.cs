using Ferry.Gateway.Config;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Ferry.Grpc.AspNetCore.Hosting;

namespace Ferry.Gateway.Tests.Faults;

/// <summary>
/// Keepalive pings more eager than a backend allows get the connection dropped with GOAWAY too_many_pings (WIRE-NOTES).
/// The gateway then pings that endpoint half as often from its next connection on, until the backend accepts them.
/// </summary>
public sealed class UpstreamKeepAliveTests
{
    [Fact]
    public async Task After_too_many_pings_the_endpoint_is_pinged_less_often_until_an_idle_call_survives()
    {
        // The backend allows a ping every 800 ms (two strikes tolerated); the gateway starts at one every 150 ms of silence.
        await using var backend = await TestBackend.StartAsync("a", configure: b => b.WithKeepAlive(new ServerKeepAliveOptions
        {
            MinPingInterval = TimeSpan.FromMilliseconds(800),
            GoAwayGracePeriod = TimeSpan.FromMilliseconds(50),
        }));
        var cluster = GatewayConfigs.Cluster("c", backend) with { Connection = new ConnectionConfig { KeepAliveTime = TimeSpan.FromMilliseconds(150) } };
        await using var gateway = await TestGateway.StartAsync(cluster);

        var dropped = new List<string>();
        for (var attempt = 0; attempt < 6; attempt++)
        {
            // A call that stays silent for 2 s: only keepalive pings cross its connection meanwhile.
            using var call = gateway.Client.UnaryAsync(new ProbeRequest { Action = "hold" });
            var held = await backend.Probe.NextHeldAsync();
            var ended = await Task.WhenAny(call.ResponseAsync, Task.Delay(TimeSpan.FromSeconds(2)));
            if (ended != call.ResponseAsync)
            {
                held.Release.SetResult();
                await call.ResponseAsync.WaitAsync(TestTimeouts.Default);
                Assert.NotEmpty(dropped);
                Assert.All(dropped, message => Assert.Contains("too_many_pings", message));
                return;
            }

            var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
            dropped.Add(error.Status.Detail);
        }

        Assert.Fail($"Every idle call lost its connection: {string.Join(" | ", dropped)}");
    }
}
