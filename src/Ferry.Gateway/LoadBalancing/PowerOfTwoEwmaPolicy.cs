using Ferry.Gateway.Config;
using Ferry.Gateway.Upstream;

namespace Ferry.Gateway.LoadBalancing;

/// <summary>
/// Power of two choices on latency: samples two endpoints and takes the one with the lower expected wait
/// (EWMA latency times open streams plus one, over weight). Sheds load from slow endpoints without herding.
/// </summary>
internal sealed class PowerOfTwoEwmaPolicy(Random random) : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.P2cEwma;

    public EndpointState Pick(ReadOnlySpan<EndpointState> available)
    {
        if (available.Length == 1)
        {
            return available[0];
        }

        var first = random.Next(available.Length);
        var second = random.Next(available.Length - 1);
        if (second >= first)
        {
            second++;
        }

        var a = available[first];
        var b = available[second];
        return Score(a) <= Score(b) ? a : b;
    }

    /// <summary>An endpoint without samples yet scores as fast, so new endpoints get tried.</summary>
    private static double Score(EndpointState endpoint) =>
        (Math.Max(endpoint.EwmaLatencyTicks, 1) * (endpoint.Outstanding + 1.0)) / endpoint.Weight;
}
