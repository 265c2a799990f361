using Ferry.Gateway.Config;
using Ferry.Gateway.Diagnostics;
using Ferry.Gateway.Limits;
using Ferry.Gateway.Forwarding;
using Ferry.Gateway.Upstream;

namespace Ferry.Gateway.Routing;

/// <summary>A route ready to match calls: its conditions, target cluster and limiters.</summary>
internal sealed class CompiledRoute
{
    private readonly string? _method;
    private readonly string? _prefix;
    private readonly string? _authority;
    private readonly (string Name, string? Value)[] _headers;

    public CompiledRoute(string listenerName, RouteConfig config, ClusterState cluster, RouteLimiter? limiter)
    {
        ListenerName = listenerName;
        Config = config;
        Cluster = cluster;
        var match = config.Match;
        _method = match.Method;
        _prefix = match.Service is { } service ? "/" + service + "/" : match.Prefix;
        _authority = match.Authority;
        // An array: matching runs for every call and must not allocate an enumerator. Names as HTTP/2 sends them
        // (lowercase); values as the octets a client sends for them, which is how request values arrive.
        _headers = [.. match.Headers.Select(h => (h.Name.ToLowerInvariant(), h.Value is null ? null : AsOctets(h.Value)))];
        Limiter = limiter;
    }

    public string ListenerName { get; }

    public string Name => Config.Name;

    public RouteConfig Config { get; }

    public ClusterState Cluster { get; }

    public RouteLimiter? Limiter { get; }

    /// <summary>The route's traffic totals, looked up by the first call on this compiled route and kept for the rest.</summary>
    public RouteTraffic? Traffic { get; set; }

    /// <summary>True when the route names this service or method itself, rather than catching everything.</summary>
    public bool IsSpecificFor(string path) =>
        (_method is not null && string.Equals(_method, path, StringComparison.Ordinal)) ||
        (_prefix is not null && path.StartsWith(_prefix, StringComparison.Ordinal));

    public bool Matches(string path, string authority, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        if (_method is not null && !string.Equals(_method, path, StringComparison.Ordinal))
        {
            return false;
        }

        if (_prefix is not null && !path.StartsWith(_prefix, StringComparison.Ordinal))
        {
            return false;
        }

        if (_authority is not null && !AuthorityMatches(authority))
        {
            return false;
        }

        foreach (var (name, value) in _headers)
        {
            if (!RequestHeaders.Contains(headers, name, value))
            {
                return false;
            }
        }

        return true;
    }

    private static string AsOctets(string value) => System.Text.Encoding.Latin1.GetString(System.Text.Encoding.UTF8.GetBytes(value));

    private bool AuthorityMatches(string authority)
    {
        if (authority.Length == 0)
        {
            return false;
        }

        if (string.Equals(authority, _authority, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // A route may name the host without the port the client used.
        var colon = authority.LastIndexOf(':');
        return colon > 0 && !authority.EndsWith(']') &&
            authority.AsSpan(0, colon).Equals(_authority, StringComparison.OrdinalIgnoreCase);
    }
}
