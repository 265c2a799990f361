using Ferry.Gateway.Tests.Infrastructure;

namespace Ferry.Gateway.Tests.LoadBalancing;

public sealed class WeightedRandomTests
{
    /// <summary>
    /// 3000 calls over weights 10/5/1 (expected 1875 / 937.5 / 187.5). Tolerance: Pearson's chi-square over the three
    /// counts must stay below 13.82, the 0.999 quantile of chi-square with 2 degrees of freedom: a correct weighted
    /// random policy fails this test once in a thousand runs, while a policy that ignored weights (1000 each) scores
    /// about 4700 and one off by a single weight step (e.g. 10/5/2) about 170. The gateway's own random source
    /// (Random.Shared) is used, and calls run 16 at a time, as in production.
    /// </summary>
    [Fact]
    public async Task Calls_are_spread_in_proportion_to_the_weights()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var c = await TestBackend.StartAsync("c");
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Cluster("c", [a.Endpoint(10), b.Endpoint(5), c.Endpoint(1)], "weighted_random"));

        const int Calls = 3000;
        await BackendTally.ReachAllAsync(gateway, "a", "b", "c");
        var counts = await BackendTally.CountAsync(gateway, Calls, concurrency: 16);

        var expected = new Dictionary<string, double> { ["a"] = Calls * 10 / 16.0, ["b"] = Calls * 5 / 16.0, ["c"] = Calls * 1 / 16.0 };
        Assert.Equal(Calls, counts.Values.Sum());
        var chiSquare = expected.Sum(e => Math.Pow(counts.GetValueOrDefault(e.Key) - e.Value, 2) / e.Value);
        Assert.True(
            chiSquare < 13.82,
            $"chi-square {chiSquare:0.00} >= 13.82 (p < 0.001): counts {string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}"))}, " +
            $"expected {string.Join(", ", expected.Select(e => $"{e.Key}={e.Value}"))}.");
    }
}
