using Ferry.Gateway.Config;

namespace Ferry.Gateway.Tests.Config;

public sealed class GatewayConfigLoaderTests
{
    private const string FullExample = """
        listeners:
          - name: public
            address: 127.0.0.1:8080
            tls: { cert: certs/server.pem, key: certs/server-key.pem, client_ca: certs/ca.pem }
            limits: { max_connections: 10000, max_streams_per_connection: 1000, max_concurrent_streams: 50000 }
            routes:
              - name: greeter
                match: { service: helloworld.Greeter, authority: api.local, headers: [ { name: x-tenant, value: blue } ] }
                cluster: hello
                timeouts: { default_deadline: 30s, max_deadline: 5m, idle: 10m, max_stream_lifetime: 1h }
                limits: { rate: { tokens_per_second: 100, burst: 200 }, max_concurrent_streams: 1000 }
                authority: endpoint
                x_forwarded_for: false
                forwarded: true
              - name: rest
                match: { prefix: /pkg., headers: [ { name: x-debug } ] }
                cluster: hello
              - name: one
                match: { method: /pkg.Svc/M }
                cluster: hello
        clusters:
          - name: hello
            load_balancing: least_connections
            endpoints:
              - 127.0.0.1:50051#10
              - { address: 127.0.0.1:50052, weight: 5 }
              - backend.local:50053
            tls: { ca: certs/ca.pem, server_name: backend.local, client_cert: certs/client.pem, client_key: certs/client-key.pem }
            connection: { dial_timeout: 5s, backoff_initial: 250ms, backoff_max: 10s, keepalive_time: off, keepalive_timeout: 20s, multiple_connections: false, max_connections: 4, idle_timeout: 5m, initial_stream_window: 1048576, max_stream_window: 4194304 }
            health:
              active: { interval: 5s, timeout: 1s, healthy_threshold: 1, unhealthy_threshold: 2, service: "" }
              outlier: { consecutive_failures: 5, base_ejection: 10s, max_ejection: 5m }
            retry: { max_attempts: 3, budget_percent: 20 }
        admin: { address: 127.0.0.1:9901, metrics_path: /metrics }
        access_log: { enabled: true, format: json }
        """;

    private static readonly string[] CertFiles =
        ["certs/server.pem", "certs/server-key.pem", "certs/ca.pem", "certs/client.pem", "certs/client-key.pem"];

    [Fact]
    public void FullExampleParsesToTheExpectedRecords()
    {
        using var directory = new TemporaryDirectory();
        foreach (var file in CertFiles)
        {
            directory.Write(file, "");
        }

        var path = directory.Write("gateway.yaml", FullExample);
        var result = GatewayConfigLoader.LoadFile(path);

        Assert.True(result.Success, string.Join(Environment.NewLine, result.Errors));
        Assert.Empty(result.Warnings);
        var config = result.Config;
        Assert.Equal(path, config.Source);

        var listener = Assert.Single(config.Listeners);
        Assert.Equal("public", listener.Name);
        Assert.Equal("127.0.0.1:8080", listener.Address);
        Assert.Equal(
            new ListenerTlsConfig { Cert = directory.File("certs/server.pem"), Key = directory.File("certs/server-key.pem"), ClientCa = directory.File("certs/ca.pem") },
            listener.Tls);
        Assert.Equal(new ListenerLimitsConfig { MaxConnections = 10000, MaxStreamsPerConnection = 1000, MaxConcurrentStreams = 50000 }, listener.Limits);

        Assert.Equal(3, listener.Routes.Count);
        var greeter = listener.Routes[0];
        Assert.Equal("greeter", greeter.Name);
        Assert.Equal("hello", greeter.Cluster);
        Assert.Equal("helloworld.Greeter", greeter.Match.Service);
        Assert.Equal("api.local", greeter.Match.Authority);
        Assert.Null(greeter.Match.Method);
        Assert.Null(greeter.Match.Prefix);
        Assert.Equal([new HeaderMatchConfig { Name = "x-tenant", Value = "blue" }], greeter.Match.Headers);
        Assert.Equal(
            new RouteTimeoutsConfig
            {
                DefaultDeadline = TimeSpan.FromSeconds(30),
                MaxDeadline = TimeSpan.FromMinutes(5),
                Idle = TimeSpan.FromMinutes(10),
                MaxStreamLifetime = TimeSpan.FromHours(1),
            },
            greeter.Timeouts);
        Assert.Equal(new RateLimitConfig { TokensPerSecond = 100, Burst = 200 }, greeter.Limits.Rate);
        Assert.Equal(1000, greeter.Limits.MaxConcurrentStreams);
        Assert.Equal(AuthorityMode.Endpoint, greeter.Authority);
        Assert.False(greeter.XForwardedFor);
        Assert.True(greeter.Forwarded);

        var rest = listener.Routes[1];
        Assert.Equal("/pkg.", rest.Match.Prefix);
        Assert.Equal([new HeaderMatchConfig { Name = "x-debug", Value = null }], rest.Match.Headers);
        Assert.Equal(new RouteTimeoutsConfig(), rest.Timeouts);
        Assert.Equal(AuthorityMode.Pass, rest.Authority);
        Assert.True(rest.XForwardedFor);
        Assert.False(rest.Forwarded);
        Assert.Equal("/pkg.Svc/M", listener.Routes[2].Match.Method);

        var cluster = Assert.Single(config.Clusters);
        Assert.Equal("hello", cluster.Name);
        Assert.Equal("least_connections", cluster.LoadBalancing);
        Assert.Equal(
            [
                new EndpointConfig { Address = "127.0.0.1:50051", Weight = 10 },
                new EndpointConfig { Address = "127.0.0.1:50052", Weight = 5 },
                new EndpointConfig { Address = "backend.local:50053", Weight = 1 },
            ],
            cluster.Endpoints);
        Assert.Equal(
            new UpstreamTlsConfig
            {
                Ca = directory.File("certs/ca.pem"),
                ServerName = "backend.local",
                ClientCert = directory.File("certs/client.pem"),
                ClientKey = directory.File("certs/client-key.pem"),
            },
            cluster.Tls);
        Assert.Equal(
            new ConnectionConfig
            {
                DialTimeout = TimeSpan.FromSeconds(5),
                BackoffInitial = TimeSpan.FromMilliseconds(250),
                BackoffMax = TimeSpan.FromSeconds(10),
                KeepAliveTime = null,
                KeepAliveTimeout = TimeSpan.FromSeconds(20),
                MultipleConnections = false,
                MaxConnections = 4,
                IdleTimeout = TimeSpan.FromMinutes(5),
                InitialStreamWindow = 1048576,
                MaxStreamWindow = 4194304,
            },
            cluster.Connection);
        Assert.Equal(
            new ActiveHealthConfig { Interval = TimeSpan.FromSeconds(5), Timeout = TimeSpan.FromSeconds(1), HealthyThreshold = 1, UnhealthyThreshold = 2, Service = "" },
            cluster.Health.Active);
        Assert.Equal(
            new OutlierConfig { ConsecutiveFailures = 5, BaseEjection = TimeSpan.FromSeconds(10), MaxEjection = TimeSpan.FromMinutes(5) },
            cluster.Health.Outlier);
        Assert.Equal(new RetryConfig { MaxAttempts = 3, BudgetPercent = 20 }, cluster.Retry);

        Assert.Equal(new AdminConfig { Address = "127.0.0.1:9901", MetricsPath = "/metrics" }, config.Admin);
        Assert.Equal(new AccessLogConfig { Enabled = true, Format = "json" }, config.AccessLog);
    }

    [Fact]
    public void LeftOutKeysKeepTheRecordDefaults()
    {
        var config = ConfigAssert.Valid("""
            listeners:
              - name: public
                address: 0.0.0.0:0
                routes: [ { name: all, cluster: hello } ]
            clusters:
              - name: hello
                endpoints: [ 127.0.0.1:50051 ]
            """);

        var listener = Assert.Single(config.Listeners);
        Assert.Null(listener.Tls);
        Assert.Equal(new ListenerLimitsConfig(), listener.Limits);
        var route = Assert.Single(listener.Routes);
        Assert.Equal(new RouteMatchConfig().Headers.Count, route.Match.Headers.Count);
        Assert.Null(route.Match.Method);
        Assert.Equal(new RouteTimeoutsConfig(), route.Timeouts);
        Assert.Null(route.Limits.Rate);
        var cluster = Assert.Single(config.Clusters);
        Assert.Equal("weighted_random", cluster.LoadBalancing);
        Assert.Equal(new ConnectionConfig(), cluster.Connection);
        Assert.Null(cluster.Health.Active);
        Assert.Equal(new OutlierConfig(), cluster.Health.Outlier);
        Assert.Equal(new RetryConfig(), cluster.Retry);
        Assert.Null(config.Admin);
        Assert.Equal(new AccessLogConfig(), config.AccessLog);
        Assert.Equal(ConfigAssert.Source, config.Source);
    }

    [Fact]
    public void EndpointShorthandTakesAnOptionalWeight()
    {
        var config = ConfigAssert.Valid("""
            listeners: [ { name: l, address: "[::1]:8080", routes: [ { name: r, cluster: c } ] } ]
            clusters:
              - name: c
                endpoints:
                  - 10.0.0.1:50051#10
                  - 10.0.0.2:50051
                  - "[fd00::1]:50051#1000"
                  - backend-3.internal:443#7
            """);

        Assert.Equal(
            [
                new EndpointConfig { Address = "10.0.0.1:50051", Weight = 10 },
                new EndpointConfig { Address = "10.0.0.2:50051", Weight = 1 },
                new EndpointConfig { Address = "[fd00::1]:50051", Weight = 1000 },
                new EndpointConfig { Address = "backend-3.internal:443", Weight = 7 },
            ],
            config.Clusters[0].Endpoints);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:50051#heavy")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:70000#2")]
    [InlineData("::1:50051")]
    [InlineData("bad host:50051")]
    public void MalformedShorthandIsOneErrorNamingTheExpectedForm(string endpoint)
    {
        ConfigAssert.Errors(
            $$"""
            listeners: [ { name: l, address: 127.0.0.1:8080, routes: [ { name: r, cluster: c } ] } ]
            clusters:
              - name: c
                endpoints:
                  - 127.0.0.1:50051
                  - "{{endpoint}}"
            """,
            $"gateway.yaml:6:9: clusters[0].endpoints[1]: '{endpoint}' is not host:port[#weight] (e.g. 10.0.0.5:50051#10, port 1-65535)");
    }

    [Fact]
    public void KeepaliveTimeNullTurnsKeepaliveOff()
    {
        var config = ConfigAssert.Valid("""
            listeners: [ { name: l, address: 127.0.0.1:8080, routes: [ { name: r, cluster: c } ] } ]
            clusters:
              - name: c
                endpoints: [ 127.0.0.1:50051 ]
                connection: { keepalive_time: null }
                health: { active: {}, outlier: off }
            access_log: off
            """);

        Assert.Null(config.Clusters[0].Connection.KeepAliveTime);
        Assert.Equal(new ActiveHealthConfig(), config.Clusters[0].Health.Active);
        Assert.Null(config.Clusters[0].Health.Outlier);
        Assert.False(config.AccessLog.Enabled);
    }

    [Fact]
    public void RelativeFilePathsResolveAgainstTheBaseDirectory()
    {
        using var directory = new TemporaryDirectory();
        directory.Write("certs/server.pem", "");
        directory.Write("certs/server-key.pem", "");
        var absoluteCa = directory.Write("elsewhere/ca.pem", "");

        var config = ConfigAssert.Valid(
            $$"""
            listeners:
              - name: l
                address: 127.0.0.1:8443
                tls: { cert: certs/server.pem, key: ./certs/../certs/server-key.pem, client_ca: "{{absoluteCa}}" }
                routes: [ { name: r, cluster: c } ]
            clusters: [ { name: c, endpoints: [ 127.0.0.1:50051 ] } ]
            """,
            directory.Path);

        Assert.Equal(directory.File("certs/server.pem"), config.Listeners[0].Tls!.Cert);
        Assert.Equal(directory.File("certs/server-key.pem"), config.Listeners[0].Tls!.Key);
        Assert.Equal(absoluteCa, config.Listeners[0].Tls!.ClientCa);
    }

    [Fact]
    public void AnchorsAndMergeKeysShareSettings()
    {
        var config = ConfigAssert.Valid("""
            listeners: [ { name: l, address: 127.0.0.1:8080, routes: [ { name: r, cluster: a }, { name: s, match: { service: x.Y }, cluster: b } ] } ]
            clusters:
              - &base
                name: a
                endpoints: [ 127.0.0.1:50051 ]
                connection: { dial_timeout: 2s }
              - <<: *base
                name: b
            """);

        Assert.Equal("b", config.Clusters[1].Name);
        Assert.Equal(TimeSpan.FromSeconds(2), config.Clusters[1].Connection.DialTimeout);
        Assert.Equal(config.Clusters[0].Endpoints, config.Clusters[1].Endpoints);
    }

    [Fact]
    public void EmptyFileSaysAListenerIsRequired()
    {
        ConfigAssert.Errors("", "gateway.yaml: listeners: at least one listener is required");
        ConfigAssert.Errors("# nothing yet\n", "gateway.yaml: listeners: at least one listener is required");
    }

    [Fact]
    public void InvalidYamlIsOneErrorWithItsPosition()
    {
        var error = ConfigAssert.SingleError("listeners:\n  - name: l\n    address: [ 127.0.0.1:8080\n", "gateway.yaml:4:1: invalid YAML: ");
        Assert.Equal("", error.Path);

        // YamlDotNet fails on this one without a position: the error points at where reading stopped.
        ConfigAssert.SingleError("listeners: [ { name: l\nclusters: []\n", "gateway.yaml:1:12: invalid YAML after this point: ");
    }

    [Fact]
    public void RootMustBeAMapping()
    {
        ConfigAssert.Errors("- a\n- b\n", "gateway.yaml:1:1: expected a mapping with listeners and clusters, found a list");
    }

    [Fact]
    public void MissingFileIsAnErrorNamingIt()
    {
        using var directory = new TemporaryDirectory();
        var path = directory.File("missing.yaml");

        var result = GatewayConfigLoader.LoadFile(path);

        var error = Assert.Single(result.Errors);
        Assert.Equal(path, error.Source);
        Assert.StartsWith($"{path}: cannot read the configuration file:", error.ToString(), StringComparison.Ordinal);
    }
}
