using Ferry.Gateway.Config;

namespace Ferry.Gateway.LoadBalancing;

/// <summary>Makes the policy a configuration names (the names themselves live in <see cref="LoadBalancingPolicyNames"/>).</summary>
internal static class LoadBalancingPolicies
{
    public static ILoadBalancingPolicy Create(string name, Random random) => name switch
    {
        LoadBalancingPolicyNames.WeightedRandom => new WeightedRandomPolicy(random),
        LoadBalancingPolicyNames.LeastConnections => new LeastConnectionsPolicy(random),
        LoadBalancingPolicyNames.RoundRobin => new RoundRobinPolicy(),
        LoadBalancingPolicyNames.P2cEwma => new PowerOfTwoEwmaPolicy(random),
        _ => throw new ArgumentException($"Unknown load-balancing policy '{name}'; expected one of: {string.Join(", ", LoadBalancingPolicyNames.All)}.", nameof(name)),
    };
}
