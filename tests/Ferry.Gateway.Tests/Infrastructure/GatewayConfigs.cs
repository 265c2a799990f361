using Ferry.Gateway.Config;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>Configs built in code, the shape most tests need: listener "main" on 127.0.0.1:0, one route, one cluster.</summary>
internal static class GatewayConfigs
{
    public const string Route = "all";

    public static GatewayConfig Single(ClusterConfig cluster, Func<RouteConfig, RouteConfig>? route = null, ListenerTlsConfig? tls = null)
    {
        var baseRoute = new RouteConfig { Name = Route, Cluster = cluster.Name };
        return new GatewayConfig
        {
            Source = "test",
            Listeners =
            [
                new ListenerConfig
                {
                    Name = TestGateway.Listener,
                    Address = "127.0.0.1:0",
                    Tls = tls,
                    Routes = [route is null ? baseRoute : route(baseRoute)],
                },
            ],
            Clusters = [cluster],
        };
    }

    public static ClusterConfig Cluster(string name, IEnumerable<EndpointConfig> endpoints, string loadBalancing = "weighted_random") => new()
    {
        Name = name,
        LoadBalancing = loadBalancing,
        Endpoints = [.. endpoints],
    };

    public static ClusterConfig Cluster(string name, params TestBackend[] backends) =>
        Cluster(name, backends.Select(b => b.Endpoint()));
}
