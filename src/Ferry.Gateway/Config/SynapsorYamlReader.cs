using System.Net;

namespace Ferry.Gateway.Config;

/// <summary>
/// Reads synapsor's <c>ProxyConfig.yaml</c> (root key <c>proxy:</c>), so a synapsor deployment can switch without
/// rewriting its configuration. Each enabled entry of <c>proxy_list</c> becomes a listener on
/// <c>LISTEN_PROXY_ADDR:PROXY_PORT</c> with one catch-all route to a cluster of its endpoints, both named after
/// <c>PROXY_NAME</c>. As in synapsor, bare numbers are seconds and keys match without regard to case (viper
/// lowercases them). Errors found later by the validator point at the synapsor key that produced the field.
/// </summary>
internal static class SynapsorYamlReader
{
    public const string RootKey = "proxy";

    public const string RouteName = "default";

    public static GatewayConfig Read(MappingReader root, ConfigReadContext context, string source)
    {
        var proxy = root.Mapping(RootKey);
        root.Finish();
        var listeners = new List<ListenerConfig>();
        var clusters = new List<ClusterConfig>();
        if (proxy is null)
        {
            context.Diagnostics.Error(root.Node, RootKey, "expected a mapping with setting and proxy_list");
            return new GatewayConfig { Source = source };
        }

        var listenHost = "0.0.0.0";
        var listenHostValid = false;
        if (proxy.Mapping("setting") is { } setting)
        {
            listenHost = setting.RequiredString("LISTEN_PROXY_ADDR");
            listenHostValid = IPAddress.TryParse(listenHost, out _);
            if (!listenHostValid && setting.GetValue("LISTEN_PROXY_ADDR") is { } hostNode)
            {
                context.Diagnostics.Error(
                    hostNode,
                    setting.PathOf("LISTEN_PROXY_ADDR"),
                    $"'{listenHost}' is not an IP address; each proxy listens on LISTEN_PROXY_ADDR:PROXY_PORT, e.g. 0.0.0.0 for all interfaces");
            }

            setting.Finish();
        }
        else
        {
            context.Diagnostics.Error(proxy.Node, proxy.PathOf("setting"), "'setting' with LISTEN_PROXY_ADDR is required");
        }

        foreach (var (node, path) in proxy.Sequence("proxy_list"))
        {
            if (context.AsMapping(node, path) is { } entry
                && ReadProxy(entry, context, listenHost, listenHostValid, listeners.Count) is var (listener, cluster))
            {
                listeners.Add(listener);
                clusters.Add(cluster);
            }
        }

        proxy.Finish();
        return new GatewayConfig { Listeners = listeners, Clusters = clusters, Source = source };
    }

    /// <summary>One proxy_list entry; null when it is disabled. <paramref name="index"/> is its listener's (and cluster's) index.</summary>
    private static (ListenerConfig, ClusterConfig)? ReadProxy(
        MappingReader entry, ConfigReadContext context, string listenHost, bool listenHostValid, int index)
    {
        var diagnostics = context.Diagnostics;
        var enabled = entry.Bool("ENABLED", true);
        var listenerPath = $"listeners[{index}]";
        var clusterPath = $"clusters[{index}]";
        var routePath = $"{listenerPath}.routes[0]";

        // Records the synapsor key as the place (and name) of the gateway fields it fills, so that validation errors
        // point at it; when reading the key failed, validation stays quiet about those fields.
        T Field<T>(string key, Func<T> read, params string[] gatewayPaths)
        {
            if (!enabled)
            {
                return read(); // a disabled entry is still checked, but it fills no gateway fields
            }

            var errorsBefore = diagnostics.Errors.Count;
            var node = entry.Get(key);
            var value = read();
            foreach (var gatewayPath in gatewayPaths)
            {
                if (node is not null)
                {
                    diagnostics.Map.Add(gatewayPath, node, entry.PathOf(key));
                }

                if (diagnostics.Errors.Count > errorsBefore)
                {
                    diagnostics.Suppress(gatewayPath);
                }
            }

            return value;
        }

        if (enabled)
        {
            diagnostics.Map.Add(listenerPath, entry.Node, entry.Path);
            diagnostics.Map.Add(clusterPath, entry.Node, entry.Path);
            diagnostics.Map.Add(routePath, entry.Node, entry.Path);
        }

        var name = Field("PROXY_NAME", () => entry.RequiredString("PROXY_NAME"), $"{listenerPath}.name", $"{clusterPath}.name", $"{routePath}.cluster");
        var port = Field("PROXY_PORT", () => ReadPort(entry, context), $"{listenerPath}.address");
        var loadBalancing = Field("PROXY_MODEL", () => ReadProxyModel(entry, context), $"{clusterPath}.load_balancing");
        var endpoints = ReadEndpoints(entry, context, enabled ? $"{clusterPath}.endpoints" : null);

        var connectionDefaults = new ConnectionConfig();
        var at = $"{clusterPath}.connection";
        var dialTimeout = Field("DIAL_TIMEOUT", () => entry.Duration("DIAL_TIMEOUT", connectionDefaults.DialTimeout), $"{at}.dial_timeout");
        var backoffMax = Field("BACKOFF_MAX_DELAY", () => entry.Duration("BACKOFF_MAX_DELAY", connectionDefaults.BackoffMax), $"{at}.backoff_max");
        var keepAliveTime = Field("KEEPALIVE_TIME", () => ZeroIsOff(entry.OptionalDuration("KEEPALIVE_TIME", connectionDefaults.KeepAliveTime)), $"{at}.keepalive_time");
        var keepAliveTimeout = Field("KEEPALIVE_TIMEOUT", () => entry.Duration("KEEPALIVE_TIMEOUT", connectionDefaults.KeepAliveTimeout), $"{at}.keepalive_timeout");

        at = $"{routePath}.timeouts";
        var idle = Field("REQUEST_IDLE_TIME", () => ZeroIsOff(entry.OptionalDuration("REQUEST_IDLE_TIME", null)), $"{at}.idle");
        var maxLife = Field("REQUEST_MAX_LIFE", () => ZeroIsOff(entry.OptionalDuration("REQUEST_MAX_LIFE", null)), $"{at}.max_stream_lifetime");
        var timeout = Field("REQUEST_TIMEOUT", () => ZeroIsOff(entry.OptionalDuration("REQUEST_TIMEOUT", null)), $"{at}.default_deadline");

        entry.Ignore("POOL_ENABLED", "ENABLED alone decides whether a proxy runs");
        entry.Ignore("POOL_MODEL", "there is no connection pool to tune: calls share HTTP/2 connections (connection.multiple_connections)");
        entry.Ignore("GRPC_REQUEST_REUSABLE", "upstream connections are always reused");
        entry.Ignore("DEFAULT_GRPC_CONN_NUM", "connections are opened as streams need them (connection.multiple_connections)");
        entry.Ignore("EXPOSE_PROXY_PORT", "the listener port is PROXY_PORT");
        entry.Finish();

        if (!enabled)
        {
            diagnostics.Warning(entry.Node, entry.Path, $"proxy '{name}' is disabled (ENABLED: false) and is left out");
            return null;
        }

        var listener = new ListenerConfig
        {
            Name = name,
            Address = port is null ? "" : $"{FormatHost(listenHost)}:{port}",
            Routes =
            [
                new RouteConfig
                {
                    Name = RouteName,
                    Cluster = name,
                    Timeouts = new RouteTimeoutsConfig { DefaultDeadline = timeout, Idle = idle, MaxStreamLifetime = maxLife },
                },
            ],
        };
        if (port is null || !listenHostValid)
        {
            diagnostics.Suppress($"{listenerPath}.address"); // already reported at PROXY_PORT or LISTEN_PROXY_ADDR
        }

        var cluster = new ClusterConfig
        {
            Name = name,
            LoadBalancing = loadBalancing,
            Endpoints = endpoints,
            Connection = connectionDefaults with
            {
                DialTimeout = dialTimeout,
                // synapsor has no initial backoff; keep ours unless its maximum is smaller.
                BackoffInitial = backoffMax < connectionDefaults.BackoffInitial && backoffMax > TimeSpan.Zero ? backoffMax : connectionDefaults.BackoffInitial,
                BackoffMax = backoffMax,
                KeepAliveTime = keepAliveTime,
                KeepAliveTimeout = keepAliveTimeout,
            },
        };
        return (listener, cluster);
    }

    /// <summary>
    /// GRPC_PROXY_ENDPOINTS as host:port#weight. synapsor opens one pool per entry, so an address listed twice gets
    /// twice the traffic; here it becomes one endpoint with the weights added, which balances the same.
    /// <paramref name="gatewayPath"/> is null for a disabled entry, whose endpoints are checked but fill no cluster.
    /// </summary>
    private static IReadOnlyList<EndpointConfig> ReadEndpoints(MappingReader entry, ConfigReadContext context, string? gatewayPath)
    {
        const string key = "GRPC_PROXY_ENDPOINTS";
        var diagnostics = context.Diagnostics;
        var errorsBefore = diagnostics.Errors.Count;
        if (entry.Get(key) is { } listNode && gatewayPath is not null)
        {
            diagnostics.Map.Add(gatewayPath, listNode, entry.PathOf(key));
        }

        var endpoints = new List<EndpointConfig>();
        var byAddress = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var (node, path) in entry.Sequence(key))
        {
            var itemErrors = diagnostics.Errors.Count;
            EndpointConfig endpoint;
            if (node is YamlScalar { IsNull: false } scalar)
            {
                endpoint = GatewayYamlReader.ParseShorthand(scalar, path, context);
            }
            else
            {
                diagnostics.Error(node, path, $"expected {GatewayYamlReader.EndpointShorthand}, found {ConfigReadContext.Describe(node)}");
                endpoint = new EndpointConfig { Address = "" };
            }

            var malformed = diagnostics.Errors.Count > itemErrors;
            if (!malformed && byAddress.TryGetValue(endpoint.Address, out var existing))
            {
                var combined = endpoints[existing] with { Weight = endpoints[existing].Weight + endpoint.Weight };
                endpoints[existing] = combined;
                diagnostics.Warning(node, path, $"{endpoint.Address} is listed again; its weights are added up ({combined.Weight})");
                continue;
            }

            if (gatewayPath is not null)
            {
                var itemPath = $"{gatewayPath}[{endpoints.Count}]";
                diagnostics.Map.Add(itemPath, node, path);
                diagnostics.Map.Add($"{itemPath}.address", node, path);
                diagnostics.Map.Add($"{itemPath}.weight", node, path);
                if (malformed)
                {
                    diagnostics.Suppress(itemPath);
                }
            }

            if (!malformed)
            {
                byAddress[endpoint.Address] = endpoints.Count;
            }

            endpoints.Add(endpoint);
        }

        if (gatewayPath is not null && diagnostics.Errors.Count > errorsBefore && endpoints.Count == 0)
        {
            diagnostics.Suppress(gatewayPath);
        }

        return endpoints;
    }

    private static int? ReadPort(MappingReader entry, ConfigReadContext context)
    {
        if (entry.GetValue("PROXY_PORT") is not { } node)
        {
            entry.RequiredString("PROXY_PORT");
            return null;
        }

        return (int?)context.AsInteger(node, entry.PathOf("PROXY_PORT"), 1, 65535);
    }

    private static string ReadProxyModel(MappingReader entry, ConfigReadContext context)
    {
        switch (entry.GetValue("PROXY_MODEL"))
        {
            case null:
            case YamlScalar { Value: "randomWeight" }:
                return LoadBalancingPolicyNames.WeightedRandom;
            case YamlScalar { Value: "minConn" }:
                return LoadBalancingPolicyNames.LeastConnections;
            case var node:
                var hint = node is YamlScalar scalar ? KeySuggester.Hint(scalar.Value, ["randomWeight", "minConn"]) : "";
                context.Diagnostics.Error(node, entry.PathOf("PROXY_MODEL"), $"expected randomWeight or minConn, found {ConfigReadContext.Describe(node)}{hint}");
                return LoadBalancingPolicyNames.WeightedRandom;
        }
    }

    /// <summary>synapsor passes 0 through to gRPC, where it means "no limit" / "no keepalive".</summary>
    private static TimeSpan? ZeroIsOff(TimeSpan? value) => value == TimeSpan.Zero ? null : value;

    private static string FormatHost(string host) => host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;
}
