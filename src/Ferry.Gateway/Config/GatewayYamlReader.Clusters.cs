using System.Globalization;

namespace Ferry.Gateway.Config;

internal static partial class GatewayYamlReader
{
    public const string EndpointShorthand = "host:port[#weight]";

    private static ClusterConfig ReadCluster(MappingReader cluster, ConfigReadContext context)
    {
        var defaults = new ClusterConfig { Name = "" };
        return new ClusterConfig
        {
            Name = cluster.RequiredString("name"),
            LoadBalancing = cluster.String("load_balancing") ?? defaults.LoadBalancing,
            Endpoints = ReadEndpoints(cluster, "endpoints", context),
            Tls = cluster.Mapping("tls") is { } tls ? ReadUpstreamTls(tls) : null,
            Connection = cluster.Mapping("connection") is { } connection ? ReadConnection(connection) : defaults.Connection,
            Health = cluster.Mapping("health") is { } health ? ReadHealth(health, defaults.Health) : defaults.Health,
            Retry = cluster.Mapping("retry") is { } retry ? ReadRetry(retry) : defaults.Retry,
        };
    }

    /// <summary>Endpoints as <c>host:port#weight</c> strings (synapsor's shorthand) or <c>{ address, weight }</c> mappings.</summary>
    internal static IReadOnlyList<EndpointConfig> ReadEndpoints(MappingReader cluster, string key, ConfigReadContext context)
    {
        var endpoints = new List<EndpointConfig>();
        foreach (var (node, path) in cluster.Sequence(key))
        {
            if (node is YamlScalar { IsNull: false } scalar)
            {
                endpoints.Add(ParseShorthand(scalar, path, context));
            }
            else if (node is YamlMapping && context.AsMapping(node, path) is { } mapping)
            {
                endpoints.Add(new EndpointConfig
                {
                    Address = mapping.RequiredString("address"),
                    Weight = mapping.Int("weight", 1),
                });
                mapping.Finish();
            }
            else
            {
                context.Diagnostics.Error(node, path, $"expected {EndpointShorthand} or {{ address: host:port, weight: n }}, found {ConfigReadContext.Describe(node)}");
                endpoints.Add(new EndpointConfig { Address = "" }); // keeps indices; the path is already reported
            }
        }

        return endpoints;
    }

    /// <summary>
    /// <c>10.0.0.5:50051#10</c>; the weight is optional. A malformed entry is reported here, with the shorthand as the
    /// expected form; the validator, which sees only the record, then stays quiet about that path.
    /// </summary>
    internal static EndpointConfig ParseShorthand(YamlScalar scalar, string path, ConfigReadContext context)
    {
        var text = scalar.Value.Trim();
        var hash = text.IndexOf('#');
        var address = hash < 0 ? text : text[..hash];
        var weight = 1;
        if (!HostPort.IsEndpoint(address)
            || (hash >= 0 && !int.TryParse(text.AsSpan(hash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out weight)))
        {
            context.Diagnostics.Error(scalar, path, $"'{scalar.Value}' is not {EndpointShorthand} (e.g. 10.0.0.5:50051#10, port 1-65535)");
            weight = 1;
        }

        context.Diagnostics.Map.Add($"{path}.address", scalar);
        context.Diagnostics.Map.Add($"{path}.weight", scalar);
        return new EndpointConfig { Address = address, Weight = weight };
    }

    private static UpstreamTlsConfig ReadUpstreamTls(MappingReader tls)
    {
        var config = new UpstreamTlsConfig
        {
            Ca = tls.FilePath("ca"),
            ServerName = tls.String("server_name"),
            ClientCert = tls.FilePath("client_cert"),
            ClientKey = tls.FilePath("client_key"),
        };
        tls.Finish();
        return config;
    }

    private static ConnectionConfig ReadConnection(MappingReader connection)
    {
        var defaults = new ConnectionConfig();
        var config = new ConnectionConfig
        {
            DialTimeout = connection.Duration("dial_timeout", defaults.DialTimeout),
            BackoffInitial = connection.Duration("backoff_initial", defaults.BackoffInitial),
            BackoffMax = connection.Duration("backoff_max", defaults.BackoffMax),
            KeepAliveTime = connection.OptionalDuration("keepalive_time", defaults.KeepAliveTime),
            KeepAliveTimeout = connection.Duration("keepalive_timeout", defaults.KeepAliveTimeout),
            MultipleConnections = connection.Bool("multiple_connections", defaults.MultipleConnections),
            MaxConnections = connection.Int("max_connections", defaults.MaxConnections),
            IdleTimeout = connection.Duration("idle_timeout", defaults.IdleTimeout),
            InitialStreamWindow = connection.Int("initial_stream_window", defaults.InitialStreamWindow),
            MaxStreamWindow = connection.Int("max_stream_window", defaults.MaxStreamWindow),
        };
        connection.Finish();
        return config;
    }

    private static HealthConfig ReadHealth(MappingReader health, HealthConfig defaults)
    {
        var config = new HealthConfig
        {
            Active = health.Section("active", defaults.Active, static active =>
            {
                var defaults = new ActiveHealthConfig();
                var config = new ActiveHealthConfig
                {
                    Interval = active.Duration("interval", defaults.Interval),
                    Timeout = active.Duration("timeout", defaults.Timeout),
                    HealthyThreshold = active.Int("healthy_threshold", defaults.HealthyThreshold),
                    UnhealthyThreshold = active.Int("unhealthy_threshold", defaults.UnhealthyThreshold),
                    Service = active.String("service") ?? defaults.Service,
                };
                active.Finish();
                return config;
            }),
            Outlier = health.Section("outlier", defaults.Outlier, static outlier =>
            {
                var defaults = new OutlierConfig();
                var config = new OutlierConfig
                {
                    ConsecutiveFailures = outlier.Int("consecutive_failures", defaults.ConsecutiveFailures),
                    BaseEjection = outlier.Duration("base_ejection", defaults.BaseEjection),
                    MaxEjection = outlier.Duration("max_ejection", defaults.MaxEjection),
                };
                outlier.Finish();
                return config;
            }),
        };
        health.Finish();
        return config;
    }

    private static RetryConfig ReadRetry(MappingReader retry)
    {
        var defaults = new RetryConfig();
        var config = new RetryConfig
        {
            MaxAttempts = retry.Int("max_attempts", defaults.MaxAttempts),
            BudgetPercent = retry.Number("budget_percent", defaults.BudgetPercent),
        };
        retry.Finish();
        return config;
    }
}
