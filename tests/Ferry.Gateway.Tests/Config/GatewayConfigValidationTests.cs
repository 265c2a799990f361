using Ferry.Gateway.Config;

namespace Ferry.Gateway.Tests.Config;

/// <summary>Each rule of the validator, and the reader's own checks, as the user sees them: file:line:column: path: message.</summary>
public sealed class GatewayConfigValidationTests
{
    [Fact]
    public void DuplicateNamesAreReportedAtTheSecondUse()
    {
        ConfigAssert.Errors(
            """
            listeners:
              - name: public
                address: 127.0.0.1:8080
                routes:
                  - { name: r, match: { service: a.A }, cluster: c }
                  - { name: r, cluster: c }
              - name: public
                address: 127.0.0.1:8081
                routes: [ { name: r, cluster: c } ]
            clusters:
              - { name: c, endpoints: [ 127.0.0.1:50051 ] }
              - { name: c, endpoints: [ 127.0.0.1:50052 ] }
            """,
            "gateway.yaml:6:17: listeners[0].routes[1].name: route name 'r' is already used by listeners[0].routes[0]",
            "gateway.yaml:7:11: listeners[1].name: listener name 'public' is already used by listeners[0]",
            "gateway.yaml:12:13: clusters[1].name: cluster name 'c' is already used by clusters[0]");
    }

    [Fact]
    public void RouteClusterMustExist()
    {
        ConfigAssert.Errors(
            """
            listeners:
              - name: public
                address: 127.0.0.1:8080
                routes:
                  - name: r
                    cluster: helo
            clusters:
              - { name: hello, endpoints: [ 127.0.0.1:50051 ] }
              - { name: other, endpoints: [ 127.0.0.1:50052 ] }
            """,
            "gateway.yaml:6:18: listeners[0].routes[0].cluster: cluster 'helo' is not defined; did you mean 'hello'?");
    }

    [Fact]
    public void ListenerAddressesAreIpAndPortAndNotShared()
    {
        ConfigAssert.Errors(
            """
            listeners:
              - { name: a, address: localhost:8080, routes: [ { name: r, cluster: c } ] }
              - { name: b, address: 127.0.0.1:8080, routes: [ { name: r, cluster: c } ] }
              - { name: c, address: 0.0.0.0:8080, routes: [ { name: r, cluster: c } ] }
              - { name: d, address: "127.0.0.1", routes: [ { name: r, cluster: c } ] }
              - { name: e, address: 127.0.0.1:0, routes: [ { name: r, cluster: c } ] }
              - { name: f, address: 127.0.0.1:0, routes: [ { name: r, cluster: c } ] }
              - { name: g, address: "[::1]:9000", routes: [ { name: r, cluster: c } ] }
            clusters: [ { name: c, endpoints: [ 127.0.0.1:50051 ] } ]
            admin: { address: "[::1]:9000" }
            """,
            "gateway.yaml:2:25: listeners[0].address: 'localhost:8080' is not an IP address and port, e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080 (host names are not allowed here)",
            "gateway.yaml:4:25: listeners[2].address: 0.0.0.0:8080 is already used by listeners[1] (127.0.0.1:8080)",
            "gateway.yaml:5:25: listeners[3].address: '127.0.0.1' is not an IP address and port, e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080 (host names are not allowed here)",
            "gateway.yaml:10:19: admin.address: [::1]:9000 is already used by listeners[6] ([::1]:9000)");
    }

    [Fact]
    public void AtLeastOneListenerAndOneRouteEach()
    {
        ConfigAssert.Errors(
            """
            listeners: []
            clusters: [ { name: c, endpoints: [ 127.0.0.1:50051 ] } ]
            """,
            "gateway.yaml:1:12: listeners: at least one listener is required");
        ConfigAssert.Errors(
            """
            listeners:
              - name: l
                address: 127.0.0.1:8080
            clusters: [ { name: c, endpoints: [ 127.0.0.1:50051 ] } ]
            """,
            "gateway.yaml:2:5: listeners[0].routes: a listener needs at least one route");
    }

    [Fact]
    public void LoadBalancingIsOneOfTheKnownPolicies()
    {
        ConfigAssert.Errors(
            """
            listeners: [ { name: l, address: 127.0.0.1:8080, routes: [ { name: r, cluster: c } ] } ]
            clusters:
              - name: c
                load_balancing: least_connection
                endpoints: [ 127.0.0.1:50051 ]
            """,
            "gateway.yaml:4:21: clusters[0].load_balancing: unknown policy 'least_connection' (did you mean 'least_connections'?); expected one of weighted_random, least_connections, round_robin, p2c_ewma");
    }

    [Fact]
    public void LoadBalancingNamesComeFromOnePlace()
    {
        var config = ConfigAssert.Valid("""
            listeners: [ { name: l, address: 127.0.0.1:8080, routes: [ { name: r, cluster: c } ] } ]
            clusters: [ { name: c, load_balancing: p2c_ewma, endpoints: [ 127.0.0.1:50051 ] } ]
            """);
        Assert.Equal(["weighted_random", "least_connections", "round_robin", "p2c_ewma"], LoadBalancingPolicyNames.All);
        Assert.All(LoadBalancingPolicyNames.All, name => Assert.Equal(name, Ferry.Gateway.LoadBalancing.LoadBalancingPolicies.Create(name, new Random(1)).Name));
        Assert.Equal(LoadBalancingPolicyNames.WeightedRandom, new ClusterConfig { Name = "c" }.LoadBalancing);

        var diagnostics = new ConfigDiagnostics("code");
        GatewayConfigValidator.Validate(config, diagnostics, ["weighted_random"]);
        Assert.Equal(
            "code: clusters[0].load_balancing: unknown policy 'p2c_ewma'; expected one of weighted_random",
            Assert.Single(diagnostics.Errors).ToString());
    }

    [Fact]
    public void EndpointsAreNonEmptyWellFormedUniqueAndWeighted()
    {
        ConfigAssert.Errors(
            """
            listeners: [ { name: l, address: 127.0.0.1:8080, routes: [ { name: r, cluster: a }, { name: s, match: { service: b.B }, cluster: b } ] } ]
            clusters:
              - name: a
                endpoints: []
              - name: b
                endpoints:
                  - 127.0.0.1:50051#0
                  - { address: 127.0.0.1:50052, weight: 1001 }
                  - { address: backend.local }
                  - 127.0.0.1:50051#3
            """,
            "gateway.yaml:4:16: clusters[0].endpoints: a cluster needs at least one endpoint",
            "gateway.yaml:7:9: clusters[1].endpoints[0].weight: weight must be from 1 to 1000, found 0",
            "gateway.yaml:8:45: clusters[1].endpoints[1].weight: weight must be from 1 to 1000, found 1001",
            "gateway.yaml:9:20: clusters[1].endpoints[2].address: 'backend.local' is not host:port (a host name or IP address, IPv6 in brackets, and a port 1-65535)",
            "gateway.yaml:10:9: clusters[1].endpoints[3].address: 127.0.0.1:50051 is already listed as clusters[1].endpoints[0]; give it one entry with the combined weight");
    }

    [Fact]
    public void TimeoutsArePositiveAndDefaultDeadlineFitsTheMaximum()
    {
        ConfigAssert.Errors(
            """
            listeners:
              - name: l
                address: 127.0.0.1:8080
                routes:
                  - name: r
                    cluster: c
                    timeouts: { default_deadline: 1m, max_deadline: 30s, idle: 0s, max_stream_lifetime: -1h }
            clusters: [ { name: c, endpoints: [ 127.0.0.1:50051 ] } ]
            """,
            "gateway.yaml:7:39: listeners[0].routes[0].timeouts.default_deadline: default_deadline (1m) is longer than max_deadline (30s)",
            "gateway.yaml:7:68: listeners[0].routes[0].timeouts.idle: must be a positive duration, found 0s",
            "gateway.yaml:7:93: listeners[0].routes[0].timeouts.max_stream_lifetime: must be a positive duration, found -1h");
    }

    [Fact]
    public void ConnectionSettingsAreChecked()
    {
        ConfigAssert.Errors(
            """
            listeners: [ { name: l, address: 127.0.0.1:8080, routes: [ { name: r, cluster: c } ] } ]
            clusters:
              - name: c
                endpoints: [ 127.0.0.1:50051 ]
                connection:
                  dial_timeout: 0s
                  backoff_initial: 20s
                  backoff_max: 10s
                  initial_stream_window: 1024
                  max_connections: 0
            """,
            "gateway.yaml:6:21: clusters[0].connection.dial_timeout: must be a positive duration, found 0s",
            "gateway.yaml:7:24: clusters[0].connection.backoff_initial: backoff_initial (20s) is longer than backoff_max (10s)",
            "gateway.yaml:9:30: clusters[0].connection.initial_stream_window: must be at least 65535, found 1024",
            "gateway.yaml:10:24: clusters[0].connection.max_connections: must be at least 1, found 0");
    }

    [Fact]
    public void TheMaximumStreamWindowIsNotBelowTheInitialOne()
    {
        ConfigAssert.Errors(
            """
            listeners: [ { name: l, address: 127.0.0.1:8080, routes: [ { name: r, cluster: c } ] } ]
            clusters:
              - name: c
                endpoints: [ 127.0.0.1:50051 ]
                connection: { initial_stream_window: 2097152, max_stream_window: 1048576 }
            """,
            "gateway.yaml:5:70: clusters[0].connection.max_stream_window: max_stream_window (1048576) is smaller than initial_stream_window (2097152)");
    }

    [Fact]
    public void RateLimitsHealthAndRetryAreInRange()
    {
        ConfigAssert.Errors(
            """
            listeners:
              - name: l
                address: 127.0.0.1:8080
                routes:
                  - name: r
                    cluster: c
                    limits: { rate: { tokens_per_second: 0, burst: 0 }, max_concurrent_streams: 0 }
            clusters:
              - name: c
                endpoints: [ 127.0.0.1:50051 ]
                health:
                  active: { interval: 1s, timeout: 1s, healthy_threshold: 0, unhealthy_threshold: 0 }
                  outlier: { consecutive_failures: 0, base_ejection: 1m, max_ejection: 10s }
                retry: { max_attempts: 11, budget_percent: 101 }
            """,
            "gateway.yaml:7:46: listeners[0].routes[0].limits.rate.tokens_per_second: must be a positive number, found 0",
            "gateway.yaml:7:56: listeners[0].routes[0].limits.rate.burst: must be at least 1, found 0",
            "gateway.yaml:7:85: listeners[0].routes[0].limits.max_concurrent_streams: must be at least 1, found 0",
            "gateway.yaml:12:40: clusters[0].health.active.timeout: timeout (1s) must be shorter than interval (1s)",
            "gateway.yaml:12:63: clusters[0].health.active.healthy_threshold: must be at least 1, found 0",
            "gateway.yaml:12:87: clusters[0].health.active.unhealthy_threshold: must be at least 1, found 0",
            "gateway.yaml:13:40: clusters[0].health.outlier.consecutive_failures: must be at least 1, found 0",
            "gateway.yaml:13:76: clusters[0].health.outlier.max_ejection: max_ejection (10s) is shorter than base_ejection (1m)",
            "gateway.yaml:14:28: clusters[0].retry.max_attempts: must be from 1 to 10, found 11",
            "gateway.yaml:14:48: clusters[0].retry.budget_percent: must be from 0 to 100, found 101");
    }

    [Fact]
    public void MatchMethodAndPrefixHaveTheirShapes()
    {
        ConfigAssert.Errors(
            """
            listeners:
              - name: l
                address: 127.0.0.1:8080
                routes:
                  - { name: a, match: { method: pkg.Svc/M }, cluster: c }
                  - { name: b, match: { prefix: pkg. }, cluster: c }
                  - { name: d, match: { service: /pkg.Svc }, cluster: c }
                  - { name: e, cluster: c }
            clusters: [ { name: c, endpoints: [ 127.0.0.1:50051 ] } ]
            """,
            "gateway.yaml:5:37: listeners[0].routes[0].match.method: 'pkg.Svc/M' is not a full method name; expected /package.Service/Method, e.g. /helloworld.Greeter/SayHello",
            "gateway.yaml:6:37: listeners[0].routes[1].match.prefix: 'pkg.' must start with '/', e.g. /helloworld.",
            "gateway.yaml:7:38: listeners[0].routes[2].match.service: '/pkg.Svc' is not a service name; expected package.Service, e.g. helloworld.Greeter (no slashes)");
    }

    [Fact]
    public void AdminAndAccessLogAreChecked()
    {
        ConfigAssert.Errors(
            """
            listeners: [ { name: l, address: 127.0.0.1:8080, routes: [ { name: r, cluster: c } ] } ]
            clusters: [ { name: c, endpoints: [ 127.0.0.1:50051 ] } ]
            admin: { address: 127.0.0.1:8080, metrics_path: metrics }
            access_log: { format: xml }
            """,
            "gateway.yaml:3:19: admin.address: 127.0.0.1:8080 is already used by listeners[0] (127.0.0.1:8080)",
            "gateway.yaml:3:49: admin.metrics_path: 'metrics' must start with '/', e.g. /metrics",
            "gateway.yaml:4:23: access_log.format: 'xml' is not a log format; expected text or json");
    }

    [Fact]
    public void TlsFilesMustExist()
    {
        using var directory = new TemporaryDirectory();
        directory.Write("certs/server.pem", "");
        var result = ConfigAssert.Load(
            """
            listeners:
              - name: l
                address: 127.0.0.1:8443
                tls: { cert: certs/server.pem, key: certs/server-key.pem }
                routes: [ { name: r, cluster: c } ]
            clusters:
              - name: c
                endpoints: [ 127.0.0.1:50051 ]
                tls: { ca: ca.pem, client_cert: certs/server.pem }
            """,
            directory.Path);

        Assert.Equal(
            [
                $"gateway.yaml:4:41: listeners[0].tls.key: file '{directory.File("certs/server-key.pem")}' does not exist",
                "gateway.yaml:9:10: clusters[0].tls.client_key: client_cert and client_key go together: give both or neither",
                $"gateway.yaml:9:16: clusters[0].tls.ca: file '{directory.File("ca.pem")}' does not exist",
            ],
            result.Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void RoutesAfterACatchAllAreReportedUnreachable()
    {
        var result = ConfigAssert.Load("""
            listeners:
              - name: l
                address: 127.0.0.1:8080
                routes:
                  - { name: everything, cluster: c }
                  - { name: greeter, match: { service: helloworld.Greeter }, cluster: c }
                  - { name: fallback, cluster: c }
            clusters: [ { name: c, endpoints: [ 127.0.0.1:50051 ] }, { name: spare, endpoints: [ 127.0.0.1:50052 ] } ]
            """);

        Assert.True(result.Success);
        Assert.Equal(
            [
                "gateway.yaml:6:9: listeners[0].routes[1]: route 'greeter' can never match: route 'everything' before it has an empty match, which takes every call",
                "gateway.yaml:7:9: listeners[0].routes[2]: route 'fallback' can never match: route 'everything' before it has an empty match, which takes every call",
                "gateway.yaml:8:58: clusters[1]: cluster 'spare' is not used by any route",
            ],
            result.Warnings);
    }

    [Fact]
    public void UnknownKeysAreErrorsWithASuggestion()
    {
        ConfigAssert.Errors(
            """
            listeners:
              - name: l
                adress: 127.0.0.1:8080
                routes: [ { name: r, cluster: c, timeout: { idle: 1m } } ]
            clusters:
              - name: c
                loadBalancing: round_robin
                endpoints: [ 127.0.0.1:50051 ]
                colour: blue
            """,
            "gateway.yaml:2:5: listeners[0].address: 'address' is required",
            "gateway.yaml:3:5: listeners[0].adress: unknown key 'adress'; did you mean 'address'?",
            "gateway.yaml:4:38: listeners[0].routes[0].timeout: unknown key 'timeout'; did you mean 'timeouts'?",
            "gateway.yaml:7:5: clusters[0].loadBalancing: unknown key 'loadBalancing'; did you mean 'load_balancing'?",
            "gateway.yaml:9:5: clusters[0].colour: unknown key 'colour'; expected one of: name, load_balancing, endpoints, tls, connection, health, retry");
    }

    [Fact]
    public void AllErrorsAreCollectedNotOnlyTheFirst()
    {
        var result = ConfigAssert.Load("""
            listeners:
              - name: l
                address: 127.0.0.1:8080
                routes: [ { name: r, cluster: missing } ]
                limits: { max_connections: many }
            clusters:
              - name: c
                load_balancing: fastest
                endpoints: [ "127.0.0.1", 127.0.0.1:50052#2000 ]
                connection: { dial_timeout: 5, keepalive_time: sometimes }
                retry: { max_attempts: 0 }
            access_log: { enabled: yes }
            """);

        Assert.False(result.Success);
        Assert.Equal(
            [
                "gateway.yaml:4:35: listeners[0].routes[0].cluster: cluster 'missing' is not defined; defined clusters: c",
                "gateway.yaml:5:32: listeners[0].limits.max_connections: expected an integer, found 'many'",
                "gateway.yaml:8:21: clusters[0].load_balancing: unknown policy 'fastest'; expected one of weighted_random, least_connections, round_robin, p2c_ewma",
                "gateway.yaml:9:18: clusters[0].endpoints[0]: '127.0.0.1' is not host:port[#weight] (e.g. 10.0.0.5:50051#10, port 1-65535)",
                "gateway.yaml:9:31: clusters[0].endpoints[1].weight: weight must be from 1 to 1000, found 2000",
                "gateway.yaml:10:33: clusters[0].connection.dial_timeout: expected a duration with a unit, such as 250ms, 5s, 2m, 1h or 1m30s, found '5'; a bare number has no unit (write 5s for seconds)",
                "gateway.yaml:10:52: clusters[0].connection.keepalive_time: expected a duration with a unit, such as 250ms, 5s, 2m, 1h or 1m30s, found 'sometimes'",
                "gateway.yaml:11:28: clusters[0].retry.max_attempts: must be from 1 to 10, found 0",
                "gateway.yaml:12:24: access_log.enabled: expected true or false, found 'yes'",
            ],
            result.Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void RequiredKeysAreReportedOnceWithoutFollowOnErrors()
    {
        ConfigAssert.Errors(
            """
            listeners:
              - address: 127.0.0.1:8080
                routes:
                  - name: r
            clusters: [ { name: c, endpoints: [ 127.0.0.1:50051 ] } ]
            """,
            "gateway.yaml:2:5: listeners[0].name: 'name' is required",
            "gateway.yaml:4:9: listeners[0].routes[0].cluster: 'cluster' is required");
    }

    [Fact]
    public void ValuesOfTheWrongKindAreReported()
    {
        ConfigAssert.Errors(
            """
            listeners:
              - name: [ l ]
                address: 127.0.0.1:8080
                routes: { name: r, cluster: c }
              - just a string
            clusters: [ { name: c, endpoints: [ 127.0.0.1:50051 ], retry: [ 1 ] } ]
            """,
            "gateway.yaml:2:11: listeners[0].name: expected a string, found a list",
            "gateway.yaml:4:13: listeners[0].routes: expected a list, found a mapping",
            "gateway.yaml:5:5: listeners[1]: expected a mapping (key: value), found 'just a string'",
            "gateway.yaml:6:63: clusters[0].retry: expected a mapping (key: value), found a list");
    }

    [Fact]
    public void DuplicateKeysAreErrorsAndTheFirstValueIsKept()
    {
        ConfigAssert.Errors(
            """
            listeners:
              - name: l
                address: 127.0.0.1:8080
                address: 127.0.0.1:9090
                routes: [ { name: r, cluster: c } ]
            clusters: [ { name: c, endpoints: [ 127.0.0.1:50051 ] } ]
            ---
            listeners: []
            """,
            "gateway.yaml:4:5: listeners[0].address: duplicate key 'address' (first given at line 3)",
            "gateway.yaml:7:1: only one YAML document is allowed; remove the '---' separator");
    }

    [Fact]
    public void ConfigBuiltInCodeIsValidatedWithoutPositions()
    {
        var config = new GatewayConfig
        {
            Source = "code",
            Listeners =
            [
                new ListenerConfig
                {
                    Name = "l",
                    Address = "127.0.0.1:8080",
                    Routes = [new RouteConfig { Name = "r", Cluster = "c", Match = new RouteMatchConfig { Method = "/a.B/C", Service = "x.Y" } }],
                },
            ],
            Clusters = [new ClusterConfig { Name = "c", Endpoints = [new EndpointConfig { Address = "10.0.0.1:50051", Weight = 0 }] }],
        };

        var warnings = new List<string>();
        var errors = GatewayConfigValidator.Validate(config, warnings);

        var error = Assert.Single(errors);
        Assert.Equal(new ConfigError("code", 0, 0, "clusters[0].endpoints[0].weight", "weight must be from 1 to 1000, found 0"), error);
        Assert.Equal("code: clusters[0].endpoints[0].weight: weight must be from 1 to 1000, found 0", error.ToString());
        Assert.Equal(["code: listeners[0].routes[0].match.method: method '/a.B/C' is not in service 'x.Y', so the route can never match"], warnings);
        Assert.Empty(GatewayConfigValidator.Validate(config with { Clusters = [config.Clusters[0] with { Endpoints = [new EndpointConfig { Address = "10.0.0.1:50051" }] }] }));
    }
}
