namespace Ferry.Gateway.Config;

/// <summary>
/// Collects the errors and warnings of one load (parse, then validation) so that all of them are reported, not
/// only the first. A path the reader already reported is remembered: validation stays quiet about it and about
/// everything beneath it, so one mistake gives one error.
/// </summary>
internal sealed class ConfigDiagnostics(string source, ConfigSourceMap? map = null)
{
    private readonly List<ConfigError> _errors = [];
    private readonly List<ConfigError> _warnings = [];
    private readonly List<string> _reportedPaths = [];

    public string Source { get; } = source;

    public ConfigSourceMap Map { get; } = map ?? new ConfigSourceMap();

    public IReadOnlyList<ConfigError> Errors => _errors;

    /// <summary>Errors in file order (line, then column); those without a position, in the order found, last.</summary>
    public IReadOnlyList<ConfigError> SortedErrors => [.. _errors.OrderBy(Line).ThenBy(error => error.Column)];

    /// <summary>Warnings in file order, formatted like errors.</summary>
    public IReadOnlyList<string> SortedWarnings => [.. _warnings.OrderBy(Line).ThenBy(warning => warning.Column).Select(warning => warning.ToString())];

    /// <summary>A reader error at a node: always recorded, and the path is marked as reported.</summary>
    public void Error(YamlNode node, string path, string message)
    {
        _errors.Add(new ConfigError(Source, node.Line, node.Column, path, message));
        _reportedPaths.Add(path);
    }

    /// <summary>How the user's file names <paramref name="path"/>, for messages that mention another field.</summary>
    public string DisplayPath(string path) => Map.Find(path).DisplayPath;

    /// <summary>Marks <paramref name="path"/> as reported: for a reader that reported the same problem under another path.</summary>
    public void Suppress(string path) => _reportedPaths.Add(path);

    /// <summary>A validation error, located through the source map; skipped when the reader already reported the path.</summary>
    public void Error(string path, string message)
    {
        if (IsReported(path))
        {
            return;
        }

        var (line, column, displayPath) = Map.Find(path);
        _errors.Add(new ConfigError(Source, line, column, displayPath, message));
    }

    public void Warning(YamlNode node, string path, string message) =>
        _warnings.Add(new ConfigError(Source, node.Line, node.Column, path, message));

    public void Warning(string path, string message)
    {
        var (line, column, displayPath) = Map.Find(path);
        _warnings.Add(new ConfigError(Source, line, column, displayPath, message));
    }

    private static int Line(ConfigError error) => error.Line > 0 ? error.Line : int.MaxValue;

    private bool IsReported(string path)
    {
        foreach (var reported in _reportedPaths)
        {
            if (path.StartsWith(reported, StringComparison.Ordinal)
                && (path.Length == reported.Length || path[reported.Length] is '.' or '[' || reported.Length == 0))
            {
                return true;
            }
        }

        return false;
    }
}
