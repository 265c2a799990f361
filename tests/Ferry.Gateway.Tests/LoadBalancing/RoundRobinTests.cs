using Ferry.Gateway.Tests.Infrastructure;

namespace Ferry.Gateway.Tests.LoadBalancing;

public sealed class RoundRobinTests
{
    /// <summary>
    /// Smooth weighted round robin is exact: every run of 3+2+1 = 6 consecutive picks holds each endpoint exactly its
    /// weight, and a heavy endpoint's picks are spread out rather than sent in a burst.
    /// </summary>
    [Fact]
    public async Task Shares_are_exact_and_spread_out()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var c = await TestBackend.StartAsync("c");
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Cluster("c", [a.Endpoint(3), b.Endpoint(2), c.Endpoint(1)], "round_robin"));

        var sequence = await BackendTally.SequenceAsync(gateway, 60);
        for (var window = 0; window < sequence.Count; window += 6)
        {
            var slice = sequence.GetRange(window, 6);
            var description = $"calls {window}..{window + 5}: {string.Join(" ", slice)}";
            Assert.True(slice.Count(s => s == "a") == 3 && slice.Count(s => s == "b") == 2 && slice.Count(s => s == "c") == 1, description);
            Assert.False(IsBurst(slice), description);
        }

        // Many calls at once: the shares stay exact (600 picks = 100 full rounds).
        var counts = await BackendTally.CountAsync(gateway, 600, concurrency: 16);
        Assert.Equal(300, counts["a"]);
        Assert.Equal(200, counts["b"]);
        Assert.Equal(100, counts["c"]);
    }

    /// <summary>All three of a's picks in a row: what plain (non-smooth) weighted round robin does.</summary>
    private static bool IsBurst(List<string> slice) =>
        Enumerable.Range(0, slice.Count - 2).Any(i => slice[i] == "a" && slice[i + 1] == "a" && slice[i + 2] == "a");
}
