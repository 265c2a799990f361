using System.Diagnostics;
using Ferry.Gateway.Config;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;

namespace Ferry.Gateway.Tests.Faults;

/// <summary>Backends that refuse connections: fail fast with UNAVAILABLE and say why, or fail over where that is safe.</summary>
public sealed class UnavailableBackendTests
{
    /// <summary>"Fast": well under the dial timeout (5 s) and the client's deadline; a refused connect takes microseconds.</summary>
    private static readonly TimeSpan Fast = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_backend_that_is_not_listening_fails_fast_with_unavailable_naming_the_cluster_and_endpoint()
    {
        using var dead = new ClosedPort();
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("orders", [new EndpointConfig { Address = dead.Address }]));

        var started = Stopwatch.GetTimestamp();
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            gateway.Client.UnaryAsync(new ProbeRequest(), deadline: DateTime.UtcNow.AddSeconds(30)).ResponseAsync.WaitAsync(TestTimeouts.Default));
        var elapsed = Stopwatch.GetElapsedTime(started);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.True(elapsed < Fast, $"took {elapsed.TotalMilliseconds:0} ms");
        Assert.Contains("'orders'", error.Status.Detail);
        Assert.Contains(dead.Address, error.Status.Detail);
    }

    [Fact]
    public async Task A_call_is_retried_on_the_live_endpoint_when_the_first_refuses_the_connection()
    {
        using var dead = new ClosedPort();
        await using var live = await TestBackend.StartAsync("live");

        // round_robin with equal weights picks the first endpoint first: the first call meets the dead one, which then
        // backs off for longer than the test runs (so the retry budget, 20% of recent calls, is not what is tested).
        await using var gateway = await TestGateway.StartAsync(DeadThenLive(dead, live));

        for (var i = 0; i < 10; i++)
        {
            var reply = await gateway.Client.UnaryAsync(new ProbeRequest { Sequence = i }).ResponseAsync.WaitAsync(TestTimeouts.Default);
            Assert.Equal("live", reply.Backend);
            Assert.Equal(i, reply.Sequence);
        }

        Assert.Equal(10, live.Probe.Calls);
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(gateway.Address, "/metrics"));
        Assert.Matches("ferry_gateway_resends_total\\{cluster=\"[^\"]+\",reason=\"retry\"\\} [1-9]", metrics);
    }

    [Fact]
    public async Task Streaming_calls_fail_over_too_when_nothing_was_sent_yet()
    {
        using var dead = new ClosedPort();
        await using var live = await TestBackend.StartAsync("live");
        await using var gateway = await TestGateway.StartAsync(DeadThenLive(dead, live));

        using var call = gateway.Client.Duplex();
        await call.RequestStream.WriteAsync(new ProbeRequest { Sequence = 1 }).WaitAsync(TestTimeouts.Default);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        Assert.Equal("live", call.ResponseStream.Current.Backend);
        await call.RequestStream.CompleteAsync().WaitAsync(TestTimeouts.Default);
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task When_all_endpoints_are_down_calls_fail_fast_saying_no_endpoint_is_healthy()
    {
        using var deadA = new ClosedPort();
        using var deadB = new ClosedPort();
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster(
            "c",
            [new EndpointConfig { Address = deadA.Address }, new EndpointConfig { Address = deadB.Address }],
            "round_robin") with
        {
            // Long enough that both stay backed off for the rest of the test.
            Connection = new ConnectionConfig { BackoffInitial = TimeSpan.FromMinutes(1), BackoffMax = TimeSpan.FromMinutes(1) },
        });

        // The first call tries both endpoints and finds neither.
        var first = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.Unavailable, first.StatusCode);

        // From then on, calls fail at once without dialling, and say so.
        for (var i = 0; i < 3; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default));
            var elapsed = Stopwatch.GetElapsedTime(started);
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
            Assert.Contains("No healthy endpoint in cluster 'c'", error.Status.Detail);
            Assert.Contains("2 endpoint(s)", error.Status.Detail);
            Assert.True(elapsed < Fast, $"took {elapsed.TotalMilliseconds:0} ms");
        }
    }

    private static ClusterConfig DeadThenLive(ClosedPort dead, TestBackend live) =>
        GatewayConfigs.Cluster("c", [new EndpointConfig { Address = dead.Address }, live.Endpoint()], "round_robin") with
        {
            Connection = new ConnectionConfig { BackoffInitial = TimeSpan.FromMinutes(1), BackoffMax = TimeSpan.FromMinutes(1) },
        };
}
