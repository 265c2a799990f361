using Ferry.Gateway.Config;
using Ferry.Gateway.Routing;
using Ferry.Gateway.Upstream;

namespace Ferry.Gateway.Runtime;

/// <summary>The compiled form of one config snapshot: route tables per listener and the clusters they use.</summary>
internal sealed class GatewayState(GatewayConfig config, IReadOnlyDictionary<string, RouteTable> listeners, IReadOnlyDictionary<string, ClusterState> clusters)
{
    public GatewayConfig Config { get; } = config;

    public IReadOnlyDictionary<string, RouteTable> Listeners { get; } = listeners;

    public IReadOnlyDictionary<string, ClusterState> Clusters { get; } = clusters;
}
