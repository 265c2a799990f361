using Ferry.Gateway.Config;
using Ferry.Gateway.Upstream;

namespace Ferry.Gateway.LoadBalancing;

/// <summary>
/// Smooth weighted round robin (as nginx does it): over any window each endpoint gets its share of calls, spread
/// out rather than in bursts.
/// </summary>
internal sealed class RoundRobinPolicy : ILoadBalancingPolicy
{
    private readonly Dictionary<EndpointState, int> _current = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _lock = new();

    public string Name => LoadBalancingPolicyNames.RoundRobin;

    public EndpointState Pick(ReadOnlySpan<EndpointState> available)
    {
        lock (_lock)
        {
            EndpointState? best = null;
            var bestValue = int.MinValue;
            var total = 0;
            foreach (var endpoint in available)
            {
                total += endpoint.Weight;
                var value = _current.GetValueOrDefault(endpoint) + endpoint.Weight;
                _current[endpoint] = value;
                if (value > bestValue)
                {
                    best = endpoint;
                    bestValue = value;
                }
            }

            _current[best!] = bestValue - total;
            return best!;
        }
    }
}
