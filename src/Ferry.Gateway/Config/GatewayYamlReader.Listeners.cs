namespace Ferry.Gateway.Config;

internal static partial class GatewayYamlReader
{
    private static ListenerConfig ReadListener(MappingReader listener, ConfigReadContext context)
    {
        var defaults = new ListenerLimitsConfig();
        return new ListenerConfig
        {
            Name = listener.RequiredString("name"),
            Address = listener.RequiredString("address"),
            Tls = listener.Mapping("tls") is { } tls ? ReadListenerTls(tls) : null,
            Limits = listener.Mapping("limits") is { } limits ? ReadListenerLimits(limits, defaults) : defaults,
            Routes = ReadList(listener, "routes", context, ReadRoute),
        };
    }

    private static ListenerTlsConfig ReadListenerTls(MappingReader tls)
    {
        var config = new ListenerTlsConfig
        {
            Cert = tls.RequiredFilePath("cert"),
            Key = tls.RequiredFilePath("key"),
            ClientCa = tls.FilePath("client_ca"),
        };
        tls.Finish();
        return config;
    }

    private static ListenerLimitsConfig ReadListenerLimits(MappingReader limits, ListenerLimitsConfig defaults)
    {
        var config = new ListenerLimitsConfig
        {
            MaxConnections = limits.OptionalLong("max_connections", defaults.MaxConnections),
            MaxStreamsPerConnection = limits.Int("max_streams_per_connection", defaults.MaxStreamsPerConnection),
            MaxConcurrentStreams = limits.OptionalInt("max_concurrent_streams", defaults.MaxConcurrentStreams),
        };
        limits.Finish();
        return config;
    }

    private static RouteConfig ReadRoute(MappingReader route, ConfigReadContext context)
    {
        var defaults = new RouteConfig { Name = "", Cluster = "" };
        return new RouteConfig
        {
            Name = route.RequiredString("name"),
            Match = route.Mapping("match") is { } match ? ReadMatch(match, context) : defaults.Match,
            Cluster = route.RequiredString("cluster"),
            Timeouts = route.Mapping("timeouts") is { } timeouts ? ReadTimeouts(timeouts) : defaults.Timeouts,
            Limits = route.Mapping("limits") is { } limits ? ReadRouteLimits(limits) : defaults.Limits,
            Authority = ReadAuthorityMode(route, context, defaults.Authority),
            XForwardedFor = route.Bool("x_forwarded_for", defaults.XForwardedFor),
            Forwarded = route.Bool("forwarded", defaults.Forwarded),
        };
    }

    private static AuthorityMode ReadAuthorityMode(MappingReader route, ConfigReadContext context, AuthorityMode defaultValue)
    {
        switch (route.GetValue("authority"))
        {
            case null:
                return defaultValue;
            case YamlScalar { Value: "pass" }:
                return AuthorityMode.Pass;
            case YamlScalar { Value: "endpoint" }:
                return AuthorityMode.Endpoint;
            case var node:
                context.Diagnostics.Error(node, route.PathOf("authority"), $"expected pass or endpoint, found {ConfigReadContext.Describe(node)}");
                return defaultValue;
        }
    }

    private static RouteMatchConfig ReadMatch(MappingReader match, ConfigReadContext context)
    {
        var config = new RouteMatchConfig
        {
            Method = match.String("method"),
            Service = match.String("service"),
            Prefix = match.String("prefix"),
            Authority = match.String("authority"),
            Headers = ReadList(match, "headers", context, static (header, _) => new HeaderMatchConfig
            {
                Name = header.RequiredString("name"),
                Value = header.String("value"),
            }),
        };
        match.Finish();
        return config;
    }

    private static RouteTimeoutsConfig ReadTimeouts(MappingReader timeouts)
    {
        var defaults = new RouteTimeoutsConfig();
        var config = new RouteTimeoutsConfig
        {
            DefaultDeadline = timeouts.OptionalDuration("default_deadline", defaults.DefaultDeadline),
            MaxDeadline = timeouts.OptionalDuration("max_deadline", defaults.MaxDeadline),
            Idle = timeouts.OptionalDuration("idle", defaults.Idle),
            MaxStreamLifetime = timeouts.OptionalDuration("max_stream_lifetime", defaults.MaxStreamLifetime),
        };
        timeouts.Finish();
        return config;
    }

    private static RouteLimitsConfig ReadRouteLimits(MappingReader limits)
    {
        var defaults = new RouteLimitsConfig();
        var config = new RouteLimitsConfig
        {
            Rate = limits.Section("rate", defaults.Rate, static rate =>
            {
                var config = new RateLimitConfig
                {
                    TokensPerSecond = RequiredNumber(rate, "tokens_per_second"),
                    Burst = RequiredInt(rate, "burst"),
                };
                rate.Finish();
                return config;
            }),
            MaxConcurrentStreams = limits.OptionalInt("max_concurrent_streams", defaults.MaxConcurrentStreams),
        };
        limits.Finish();
        return config;
    }

    private static double RequiredNumber(MappingReader reader, string key)
    {
        if (reader.GetValue(key) is null)
        {
            reader.RequiredString(key); // reports it missing
            return 0;
        }

        return reader.Number(key, 0);
    }

    private static int RequiredInt(MappingReader reader, string key)
    {
        if (reader.GetValue(key) is null)
        {
            reader.RequiredString(key);
            return 0;
        }

        return reader.Int(key, 0);
    }
}
