namespace Ferry.Gateway.Config;

/// <summary>
/// Where each field of a loaded configuration came from, keyed by its path in <see cref="GatewayConfig"/> terms
/// (<c>clusters[0].endpoints[1]</c>), so that validation, which works on records, can still point at a line and
/// column. A field read from another format (synapsor) carries that format's path for display.
/// </summary>
internal sealed class ConfigSourceMap
{
    private readonly Dictionary<string, Location> _locations = new(StringComparer.Ordinal);

    public void Add(string path, YamlNode node, string? displayPath = null) =>
        _locations[path] = new Location(node.Line, node.Column, displayPath ?? path);

    /// <summary>
    /// The location of <paramref name="path"/>, or of its nearest ancestor that has one (a default value has no
    /// node of its own, so it is reported at the mapping that left it out).
    /// </summary>
    public (int Line, int Column, string DisplayPath) Find(string path)
    {
        if (_locations.TryGetValue(path, out var exact))
        {
            return (exact.Line, exact.Column, exact.DisplayPath);
        }

        for (var parent = Parent(path); parent is not null; parent = Parent(parent))
        {
            if (_locations.TryGetValue(parent, out var found))
            {
                return (found.Line, found.Column, path);
            }
        }

        return (0, 0, path);
    }

    /// <summary><c>a.b[2].c</c> → <c>a.b[2]</c> → <c>a.b</c> → <c>a</c> → <c>""</c> → null.</summary>
    internal static string? Parent(string path)
    {
        if (path.Length == 0)
        {
            return null;
        }

        var cut = path.LastIndexOfAny(['.', '[']);
        return cut < 0 ? "" : path[..cut];
    }

    private readonly record struct Location(int Line, int Column, string DisplayPath);
}
