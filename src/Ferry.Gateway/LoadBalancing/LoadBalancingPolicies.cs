namespace Ferry.Gateway.LoadBalancing;

/// <summary>The policy names configuration may use, and how each is made.</summary>
internal static class LoadBalancingPolicies
{
    public const string WeightedRandom = "weighted_random";
    public const string LeastConnections = "least_connections";
    public const string RoundRobin = "round_robin";
    public const string PowerOfTwoEwma = "p2c_ewma";

    public static IReadOnlyList<string> Names { get; } = [WeightedRandom, LeastConnections, RoundRobin, PowerOfTwoEwma];

    public static ILoadBalancingPolicy Create(string name, Random random) => name switch
    {
        WeightedRandom => new WeightedRandomPolicy(random),
        LeastConnections => new LeastConnectionsPolicy(random),
        RoundRobin => new RoundRobinPolicy(),
        PowerOfTwoEwma => new PowerOfTwoEwmaPolicy(random),
        _ => throw new ArgumentException($"Unknown load-balancing policy '{name}'; expected one of: {string.Join(", ", Names)}.", nameof(name)),
    };
}
