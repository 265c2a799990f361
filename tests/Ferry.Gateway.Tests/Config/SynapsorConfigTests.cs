using Ferry.Gateway.Config;

namespace Ferry.Gateway.Tests.Config;

public sealed class SynapsorConfigTests
{
    /// <summary>synapsor's own ProxyConfig.yaml, plus a second, disabled proxy and a minConn one.</summary>
    private const string SynapsorFile = """
        proxy:
          setting:
            LISTEN_PROXY_ADDR: '0.0.0.0'
          proxy_list:
            - PROXY_NAME: 'default'
              ENABLED: true
              POOL_ENABLED: true
              DIAL_TIMEOUT: 5             # second
              BACKOFF_MAX_DELAY: 3        # second
              KEEPALIVE_TIME: 5           # second
              KEEPALIVE_TIMEOUT: 10       # second
              REQUEST_IDLE_TIME: 10       # second
              REQUEST_MAX_LIFE: 60        # second
              REQUEST_TIMEOUT: 3          # second
              POOL_MODEL: 1               # default 0 : STRICT_MODE, 1: LOOSE_MODE
              PROXY_MODEL: 'randomWeight'       # minConn or randomWeight
              GRPC_REQUEST_REUSABLE: true
              DEFAULT_GRPC_CONN_NUM: 10
              PROXY_PORT: '30880'
              GRPC_PROXY_ENDPOINTS:
                - 172.18.160.84:30880#10
                - 172.18.160.85:30880#5
            - PROXY_NAME: 'streams'
              ENABLED: true
              PROXY_MODEL: minConn
              KEEPALIVE_TIME: 0
              REQUEST_TIMEOUT: 1.5s
              PROXY_PORT: 30881
              GRPC_PROXY_ENDPOINTS:
                - 10.0.0.1:9000
            - PROXY_NAME: 'old'
              ENABLED: false
              PROXY_PORT: '30880'
              GRPC_PROXY_ENDPOINTS: [ 10.0.0.9:9000#1 ]
        """;

    [Fact]
    public void EachEnabledProxyBecomesAListenerWithOneRouteToItsCluster()
    {
        var result = ConfigAssert.Load(SynapsorFile);

        Assert.True(result.Success, string.Join(Environment.NewLine, result.Errors));
        var config = result.Config;
        Assert.Equal(2, config.Listeners.Count);
        Assert.Equal(2, config.Clusters.Count);

        var listener = config.Listeners[0];
        Assert.Equal("default", listener.Name);
        Assert.Equal("0.0.0.0:30880", listener.Address);
        var route = Assert.Single(listener.Routes);
        Assert.Equal("default", route.Name);
        Assert.Equal("default", route.Cluster);
        Assert.Equal(new RouteMatchConfig().Method, route.Match.Method);
        Assert.Empty(route.Match.Headers);
        Assert.Equal(
            new RouteTimeoutsConfig { DefaultDeadline = TimeSpan.FromSeconds(3), Idle = TimeSpan.FromSeconds(10), MaxStreamLifetime = TimeSpan.FromSeconds(60) },
            route.Timeouts);

        var cluster = config.Clusters[0];
        Assert.Equal("default", cluster.Name);
        Assert.Equal(LoadBalancingPolicyNames.WeightedRandom, cluster.LoadBalancing);
        Assert.Equal(
            [
                new EndpointConfig { Address = "172.18.160.84:30880", Weight = 10 },
                new EndpointConfig { Address = "172.18.160.85:30880", Weight = 5 },
            ],
            cluster.Endpoints);
        Assert.Equal(
            new ConnectionConfig
            {
                DialTimeout = TimeSpan.FromSeconds(5),
                BackoffMax = TimeSpan.FromSeconds(3),
                KeepAliveTime = TimeSpan.FromSeconds(5),
                KeepAliveTimeout = TimeSpan.FromSeconds(10),
            },
            cluster.Connection);

        Assert.Equal("0.0.0.0:30881", config.Listeners[1].Address);
        Assert.Equal(LoadBalancingPolicyNames.LeastConnections, config.Clusters[1].LoadBalancing);
        Assert.Null(config.Clusters[1].Connection.KeepAliveTime);
        Assert.Equal(TimeSpan.FromSeconds(1.5), config.Listeners[1].Routes[0].Timeouts.DefaultDeadline);
        Assert.Null(config.Listeners[1].Routes[0].Timeouts.Idle);
    }

    [Fact]
    public void KeysWithoutMeaningHereAreIgnoredWithAWarning()
    {
        var result = ConfigAssert.Load(SynapsorFile);

        Assert.Equal(
            [
                "gateway.yaml:7:7: proxy.proxy_list[0].POOL_ENABLED: ignored: ENABLED alone decides whether a proxy runs",
                "gateway.yaml:15:7: proxy.proxy_list[0].POOL_MODEL: ignored: there is no connection pool to tune: calls share HTTP/2 connections (connection.multiple_connections)",
                "gateway.yaml:17:7: proxy.proxy_list[0].GRPC_REQUEST_REUSABLE: ignored: upstream connections are always reused",
                "gateway.yaml:18:7: proxy.proxy_list[0].DEFAULT_GRPC_CONN_NUM: ignored: connections are opened as streams need them (connection.multiple_connections)",
                "gateway.yaml:31:7: proxy.proxy_list[2]: proxy 'old' is disabled (ENABLED: false) and is left out",
            ],
            result.Warnings);
    }

    [Fact]
    public void ValidationErrorsPointAtTheSynapsorKeys()
    {
        ConfigAssert.Errors(
            """
            proxy:
              setting:
                LISTEN_PROXY_ADDR: '0.0.0.0'
              proxy_list:
                - PROXY_NAME: a
                  PROXY_PORT: '30880'
                  PROXY_MODEL: leastConn
                  DIAL_TIMEOUT: -1
                  GRPC_PROXY_ENDPOINTS:
                    - 10.0.0.1:9000#0
                    - 10.0.0.2
                - PROXY_NAME: a
                  PROXY_PORT: '30880'
                  GRPC_PROXY_ENDPOINTS: []
            """,
            "gateway.yaml:7:20: proxy.proxy_list[0].PROXY_MODEL: expected randomWeight or minConn, found 'leastConn'",
            "gateway.yaml:8:21: proxy.proxy_list[0].DIAL_TIMEOUT: must be a positive duration, found -1s",
            "gateway.yaml:10:11: proxy.proxy_list[0].GRPC_PROXY_ENDPOINTS[0]: weight must be from 1 to 1000, found 0",
            "gateway.yaml:11:11: proxy.proxy_list[0].GRPC_PROXY_ENDPOINTS[1]: '10.0.0.2' is not host:port[#weight] (e.g. 10.0.0.5:50051#10, port 1-65535)",
            "gateway.yaml:12:19: proxy.proxy_list[1].PROXY_NAME: listener name 'a' is already used by proxy.proxy_list[0]",
            "gateway.yaml:12:19: proxy.proxy_list[1].PROXY_NAME: cluster name 'a' is already used by proxy.proxy_list[0]",
            "gateway.yaml:13:19: proxy.proxy_list[1].PROXY_PORT: 0.0.0.0:30880 is already used by proxy.proxy_list[0] (0.0.0.0:30880)",
            "gateway.yaml:14:29: proxy.proxy_list[1].GRPC_PROXY_ENDPOINTS: a cluster needs at least one endpoint");
    }

    [Fact]
    public void ListenAddressMustBeAnIpAddress()
    {
        ConfigAssert.Errors(
            """
            proxy:
              setting:
                LISTEN_PROXY_ADDR: localhost
              proxy_list:
                - { PROXY_NAME: a, PROXY_PORT: '30880', GRPC_PROXY_ENDPOINTS: [ 10.0.0.1:9000#1 ] }
            """,
            "gateway.yaml:3:24: proxy.setting.LISTEN_PROXY_ADDR: 'localhost' is not an IP address; each proxy listens on LISTEN_PROXY_ADDR:PROXY_PORT, e.g. 0.0.0.0 for all interfaces");
    }

    [Fact]
    public void RepeatedEndpointsAddTheirWeights()
    {
        var result = ConfigAssert.Load("""
            proxy:
              setting: { LISTEN_PROXY_ADDR: '::' }
              proxy_list:
                - PROXY_NAME: default
                  ENABLED: true
                  PROXY_PORT: '30880'
                  GRPC_PROXY_ENDPOINTS:
                    - 172.18.160.84:30880#10
                    - 172.18.160.84:30880#10
            """);

        Assert.True(result.Success, string.Join(Environment.NewLine, result.Errors));
        Assert.Equal("[::]:30880", result.Config.Listeners[0].Address);
        Assert.Equal([new EndpointConfig { Address = "172.18.160.84:30880", Weight = 20 }], result.Config.Clusters[0].Endpoints);
        Assert.Equal(["gateway.yaml:9:11: proxy.proxy_list[0].GRPC_PROXY_ENDPOINTS[1]: 172.18.160.84:30880 is listed again; its weights are added up (20)"], result.Warnings);
    }

    [Fact]
    public void UnknownSynapsorKeysAreErrors()
    {
        ConfigAssert.Errors(
            """
            proxy:
              setting: { LISTEN_PROXY_ADDR: 127.0.0.1 }
              proxy_list:
                - PROXY_NAME: default
                  PROXY_PORT: 30880
                  REQUEST_TIMEOUTS: 3
                  GRPC_PROXY_ENDPOINTS: [ 10.0.0.1:9000 ]
            """,
            "gateway.yaml:6:7: proxy.proxy_list[0].REQUEST_TIMEOUTS: unknown key 'REQUEST_TIMEOUTS'; did you mean 'REQUEST_TIMEOUT'?");
    }
}
