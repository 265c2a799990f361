using Ferry.Gateway.Upstream;

namespace Ferry.Gateway.LoadBalancing;

/// <summary>Chooses the endpoint for a new call among those currently available.</summary>
internal interface ILoadBalancingPolicy
{
    /// <summary>The name used in configuration (e.g. <c>least_connections</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Picks one of <paramref name="available"/> (never empty). Implementations must be thread-safe and should not allocate.
    /// </summary>
    EndpointState Pick(ReadOnlySpan<EndpointState> available);
}
