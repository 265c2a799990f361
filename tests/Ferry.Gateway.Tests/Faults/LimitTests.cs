using Ferry.Gateway.Config;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;

namespace Ferry.Gateway.Tests.Faults;

/// <summary>Route and listener limits: over the limit is RESOURCE_EXHAUSTED with a clear message, and the backend sees nothing.</summary>
public sealed class LimitTests
{
    [Fact]
    public async Task Over_the_rate_limit_calls_are_resource_exhausted_without_backend_traffic()
    {
        await using var backend = await TestBackend.StartAsync("a");

        // A burst of 2, refilled one token per 100 s: nothing refills while the test runs.
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Cluster("c", backend),
            route => route with { Limits = new RouteLimitsConfig { Rate = new RateLimitConfig { TokensPerSecond = 0.01, Burst = 2 } } });

        for (var i = 0; i < 2; i++)
        {
            await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default);
        }

        for (var i = 0; i < 3; i++)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default));
            Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
            Assert.Contains("Rate limit of route 'all'", error.Status.Detail);
        }

        Assert.Equal(2, backend.Probe.Requests);
    }

    [Fact]
    public async Task Over_the_route_stream_limit_calls_are_resource_exhausted_until_a_stream_ends()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Cluster("c", backend),
            route => route with { Limits = new RouteLimitsConfig { MaxConcurrentStreams = 2 } });

        using var first = gateway.Client.UnaryAsync(new ProbeRequest { Action = "hold" });
        var heldFirst = await backend.Probe.NextHeldAsync();
        using var second = gateway.Client.Duplex();
        await second.RequestStream.WriteAsync(new ProbeRequest()).WaitAsync(TestTimeouts.Default);
        Assert.True(await second.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));

        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("Concurrent stream limit of route 'all' reached (2)", error.Status.Detail);
        Assert.Equal(2, backend.Probe.Requests);

        // The two open calls are unaffected.
        await second.RequestStream.WriteAsync(new ProbeRequest { Sequence = 2 }).WaitAsync(TestTimeouts.Default);
        Assert.True(await second.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        heldFirst.Release.SetResult();
        await first.ResponseAsync.WaitAsync(TestTimeouts.Default);

        // A slot is free again once the first call's end has passed through the gateway (a moment after the client
        // sees it): the route admits calls again.
        await AdmittedSoonAsync(gateway);
        await second.RequestStream.CompleteAsync().WaitAsync(TestTimeouts.Default);
        Assert.False(await second.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
    }

    [Fact]
    public async Task Over_the_listener_stream_limit_calls_are_resource_exhausted()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var config = GatewayConfigs.Single(GatewayConfigs.Cluster("c", backend));
        config = config with { Listeners = [config.Listeners[0] with { Limits = new ListenerLimitsConfig { MaxConcurrentStreams = 1 } }] };
        await using var gateway = await TestGateway.StartAsync(config);

        using var open = gateway.Client.UnaryAsync(new ProbeRequest { Action = "hold" });
        var held = await backend.Probe.NextHeldAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("Listener 'main'", error.Status.Detail);
        Assert.Equal(1, backend.Probe.Requests);

        held.Release.SetResult();
        await open.ResponseAsync.WaitAsync(TestTimeouts.Default);
    }

    /// <summary>Calls until one is admitted: each refusal is immediate, and the slot frees within microseconds.</summary>
    private static async Task AdmittedSoonAsync(TestGateway gateway)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default);
                return;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted && attempt < 100)
            {
                await Task.Yield();
            }
        }
    }
}
