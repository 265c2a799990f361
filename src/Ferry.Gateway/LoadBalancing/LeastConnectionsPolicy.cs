using Ferry.Gateway.Config;
using Ferry.Gateway.Upstream;

namespace Ferry.Gateway.LoadBalancing;

/// <summary>
/// Picks the endpoint with the fewest open streams relative to its weight (a long stream counts for as long as it
/// is open, which is what matters for streaming traffic); ties are broken at random so equal endpoints share load.
/// </summary>
internal sealed class LeastConnectionsPolicy(Random random) : ILoadBalancingPolicy
{
    public string Name => LoadBalancingPolicyNames.LeastConnections;

    public EndpointState Pick(ReadOnlySpan<EndpointState> available)
    {
        EndpointState? best = null;
        var bestScore = double.MaxValue;
        var ties = 0;
        foreach (var endpoint in available)
        {
            var score = (double)endpoint.Outstanding / endpoint.Weight;
            if (score < bestScore)
            {
                best = endpoint;
                bestScore = score;
                ties = 1;
            }
            else if (score == bestScore && random.Next(++ties) == 0)
            {
                // Reservoir sampling over the tied endpoints: each ends up chosen with equal probability.
                best = endpoint;
            }
        }

        return best!;
    }
}
