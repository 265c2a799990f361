using Ferry.Gateway.Tests.Infrastructure;

namespace Ferry.Gateway.Tests.LoadBalancing;

public sealed class PowerOfTwoEwmaTests
{
    /// <summary>
    /// A fast backend and one that takes a second per call. p2c_ewma tries each once (an endpoint without a latency
    /// sample scores as fast), then prefers the fast one. Calls are sequential so open streams hardly enter the score;
    /// of 50 calls at least 45 must go to the fast backend (in practice 49).
    /// </summary>
    /// <remarks>
    /// The delay is a second, not a few milliseconds, because the first sample of each endpoint includes opening its
    /// connection, and on a loaded machine that can take hundreds of milliseconds. The policy keeps an endpoint's EWMA
    /// until it is picked again and never decays it with time, so an endpoint whose first sample was unlucky is not
    /// tried again while the other stays faster than that sample (seen with a 100 ms delay: all calls went to the slow
    /// endpoint).
    /// </remarks>
    [Fact]
    public async Task A_fast_endpoint_is_preferred_over_a_slow_one()
    {
        await using var fast = await TestBackend.StartAsync("fast");
        await using var slow = await TestBackend.StartAsync("slow");
        slow.Probe.ResponseDelay = TimeSpan.FromSeconds(1);
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", [fast.Endpoint(), slow.Endpoint()], "p2c_ewma"));

        var sequence = await BackendTally.SequenceAsync(gateway, 50);

        var toFast = sequence.Count(s => s == "fast");
        Assert.True(toFast >= 45, $"{toFast} of 50 calls went to the fast endpoint: {string.Join(" ", sequence)}");
    }
}
