using Ferry.Gateway.Config;
using Ferry.Gateway.Upstream;

namespace Ferry.Gateway.LoadBalancing;

/// <summary>Picks at random, each endpoint in proportion to its weight.</summary>
internal sealed class WeightedRandomPolicy(Random random) : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.WeightedRandom;

    public EndpointState Pick(ReadOnlySpan<EndpointState> available)
    {
        var total = 0;
        foreach (var endpoint in available)
        {
            total += endpoint.Weight;
        }

        var ticket = random.Next(total);
        foreach (var endpoint in available)
        {
            ticket -= endpoint.Weight;
            if (ticket < 0)
            {
                return endpoint;
            }
        }

        return available[^1];
    }
}
