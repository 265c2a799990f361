namespace Ferry.Gateway.Config;

/// <summary>
/// The load-balancing policy names the configuration accepts. The validator checks <c>load_balancing</c> against
/// <see cref="All"/>; the load-balancing code registers its policies under these same names.
/// </summary>
internal static class LoadBalancingPolicyNames
{
    public const string WeightedRandom = "weighted_random";

    public const string LeastConnections = "least_connections";

    public const string RoundRobin = "round_robin";

    /// <summary>Power of two choices over an exponentially weighted moving average of latency.</summary>
    public const string P2cEwma = "p2c_ewma";

    public static IReadOnlyList<string> All { get; } = [WeightedRandom, LeastConnections, RoundRobin, P2cEwma];
}
