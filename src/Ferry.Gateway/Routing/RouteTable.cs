namespace Ferry.Gateway.Routing;

/// <summary>One listener's routes, in order; the first match wins.</summary>
internal sealed class RouteTable(string listenerName, CompiledRoute[] routes)
{
    public string ListenerName { get; } = listenerName;

    // An array, not an interface: matching runs for every call and must not allocate an enumerator.
    public CompiledRoute[] Routes { get; } = routes;

    public CompiledRoute? Match(string path, string authority, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        foreach (var route in Routes)
        {
            if (route.Matches(path, authority, headers))
            {
                return route;
            }
        }

        return null;
    }

    /// <summary>Whether some route names this path explicitly (so the gateway's own services step aside for it).</summary>
    public bool HasSpecificRouteFor(string path)
    {
        foreach (var route in Routes)
        {
            if (route.IsSpecificFor(path))
            {
                return true;
            }
        }

        return false;
    }
}
