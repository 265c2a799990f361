using System.Text.RegularExpressions;

namespace Ferry.Gateway.Config;

public static partial class GatewayConfigValidator
{
    private static void ValidateListener(
        ConfigDiagnostics diagnostics, ListenerConfig listener, string path, HashSet<string> clusterNames, HashSet<string> usedClusters)
    {
        if (listener.Tls is { } tls)
        {
            CheckFile(diagnostics, $"{path}.tls.cert", tls.Cert, required: true);
            CheckFile(diagnostics, $"{path}.tls.key", tls.Key, required: true);
            CheckFile(diagnostics, $"{path}.tls.client_ca", tls.ClientCa, required: false);
        }

        AtLeast(diagnostics, $"{path}.limits.max_connections", listener.Limits.MaxConnections, 1);
        AtLeast(diagnostics, $"{path}.limits.max_streams_per_connection", listener.Limits.MaxStreamsPerConnection, 1);
        AtLeast(diagnostics, $"{path}.limits.max_concurrent_streams", listener.Limits.MaxConcurrentStreams, 1);

        if (listener.Routes.Count == 0)
        {
            diagnostics.Error($"{path}.routes", "a listener needs at least one route");
        }

        var routeNames = new Dictionary<string, string>(StringComparer.Ordinal);
        string? catchAll = null;
        for (var i = 0; i < listener.Routes.Count; i++)
        {
            var route = listener.Routes[i];
            var routePath = $"{path}.routes[{i}]";
            CheckName(diagnostics, routeNames, route.Name, routePath, "route");
            if (catchAll is not null)
            {
                diagnostics.Warning(routePath, $"route '{route.Name}' can never match: route '{catchAll}' before it has an empty match, which takes every call");
            }
            else if (IsCatchAll(route.Match))
            {
                catchAll = route.Name;
            }

            ValidateRoute(diagnostics, route, routePath, clusterNames);
            usedClusters.Add(route.Cluster);
        }
    }

    private static void ValidateRoute(ConfigDiagnostics diagnostics, RouteConfig route, string path, HashSet<string> clusterNames)
    {
        if (string.IsNullOrWhiteSpace(route.Cluster))
        {
            diagnostics.Error($"{path}.cluster", "a route needs a cluster");
        }
        else if (!clusterNames.Contains(route.Cluster))
        {
            var hint = KeySuggester.Closest(route.Cluster, clusterNames) is { } suggestion
                ? $"did you mean '{suggestion}'?"
                : clusterNames.Count == 0 ? "no clusters are defined" : $"defined clusters: {string.Join(", ", clusterNames.Order(StringComparer.Ordinal))}";
            diagnostics.Error($"{path}.cluster", $"cluster '{route.Cluster}' is not defined; {hint}");
        }

        ValidateMatch(diagnostics, route.Match, $"{path}.match");

        var timeouts = route.Timeouts;
        Positive(diagnostics, $"{path}.timeouts.default_deadline", timeouts.DefaultDeadline);
        Positive(diagnostics, $"{path}.timeouts.max_deadline", timeouts.MaxDeadline);
        Positive(diagnostics, $"{path}.timeouts.idle", timeouts.Idle);
        Positive(diagnostics, $"{path}.timeouts.max_stream_lifetime", timeouts.MaxStreamLifetime);
        if (timeouts.DefaultDeadline > timeouts.MaxDeadline)
        {
            diagnostics.Error(
                $"{path}.timeouts.default_deadline",
                $"default_deadline ({GoDuration.Format(timeouts.DefaultDeadline.Value)}) is longer than max_deadline ({GoDuration.Format(timeouts.MaxDeadline!.Value)})");
        }

        if (route.Limits.Rate is { } rate)
        {
            if (!(rate.TokensPerSecond > 0) || !double.IsFinite(rate.TokensPerSecond))
            {
                diagnostics.Error($"{path}.limits.rate.tokens_per_second", $"must be a positive number, found {rate.TokensPerSecond}");
            }

            AtLeast(diagnostics, $"{path}.limits.rate.burst", rate.Burst, 1);
        }

        AtLeast(diagnostics, $"{path}.limits.max_concurrent_streams", route.Limits.MaxConcurrentStreams, 1);

        if (!Enum.IsDefined(route.Authority))
        {
            diagnostics.Error($"{path}.authority", $"'{route.Authority}' is not an authority mode; expected pass or endpoint");
        }
    }

    private static void ValidateMatch(ConfigDiagnostics diagnostics, RouteMatchConfig match, string path)
    {
        if (match.Method is { } method && !FullMethodPattern().IsMatch(method))
        {
            diagnostics.Error($"{path}.method", $"'{method}' is not a full method name; expected /package.Service/Method, e.g. /helloworld.Greeter/SayHello");
        }

        if (match.Service is { } service && !ServicePattern().IsMatch(service))
        {
            diagnostics.Error($"{path}.service", $"'{service}' is not a service name; expected package.Service, e.g. helloworld.Greeter (no slashes)");
        }

        if (match.Prefix is { } prefix && !prefix.StartsWith('/'))
        {
            diagnostics.Error($"{path}.prefix", $"'{prefix}' must start with '/', e.g. /helloworld.");
        }

        if (match.Authority is { } authority && string.IsNullOrWhiteSpace(authority))
        {
            diagnostics.Error($"{path}.authority", "must not be empty; leave it out to match any authority");
        }

        for (var i = 0; i < match.Headers.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(match.Headers[i].Name))
            {
                diagnostics.Error($"{path}.headers[{i}].name", "a header match needs a header name");
            }
        }

        // Conditions that contradict each other leave a route that can never match.
        if (match.Method is { } m && match.Service is { } s && !m.StartsWith($"/{s}/", StringComparison.Ordinal))
        {
            diagnostics.Warning($"{path}.method", $"method '{m}' is not in service '{s}', so the route can never match");
        }

        if (match.Prefix is { } p && (match.Method ?? (match.Service is { } svc ? $"/{svc}/" : null)) is { } target
            && !target.StartsWith(p, StringComparison.Ordinal) && !p.StartsWith(target, StringComparison.Ordinal))
        {
            diagnostics.Warning($"{path}.prefix", $"prefix '{p}' does not fit '{target}', so the route can never match");
        }
    }

    private static bool IsCatchAll(RouteMatchConfig match) =>
        match is { Method: null, Service: null, Prefix: null, Authority: null, Headers.Count: 0 };

    [GeneratedRegex(@"^/[^/\s]+/[^/\s]+$")]
    private static partial Regex FullMethodPattern();

    [GeneratedRegex(@"^[^/\s]+$")]
    private static partial Regex ServicePattern();
}
