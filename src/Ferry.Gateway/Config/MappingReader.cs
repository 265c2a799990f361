namespace Ferry.Gateway.Config;

/// <summary>
/// Reads the keys of one YAML mapping into typed values. Every key asked for becomes a known key; after the
/// format reader has asked for all of them, <see cref="Finish"/> reports the keys nobody asked for as unknown, with
/// a suggestion. A value of the wrong type is reported and the field keeps its default, so reading goes on.
/// </summary>
internal sealed class MappingReader(YamlMapping mapping, string path, ConfigReadContext context)
{
    private readonly List<string> _known = [];
    private readonly Dictionary<string, string> _ignored = new(StringComparer.OrdinalIgnoreCase);

    public YamlMapping Node { get; } = mapping;

    public string Path { get; } = path;

    private StringComparison KeyComparison =>
        context.CaseInsensitiveKeys ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    public string PathOf(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    /// <summary>The value under <paramref name="key"/> (which may be a YAML null); null when the key is absent.</summary>
    public YamlNode? Get(string key)
    {
        _known.Add(key);
        foreach (var entry in Node.Entries)
        {
            if (string.Equals(entry.Key.Value, key, KeyComparison))
            {
                context.Diagnostics.Map.Add(PathOf(key), entry.Value);
                return entry.Value;
            }
        }

        return null;
    }

    /// <summary>The value when present and not null.</summary>
    public YamlNode? GetValue(string key) => Get(key) is { } node && node is not YamlScalar { IsNull: true } ? node : null;

    public string? String(string key) => GetValue(key) is { } node ? context.AsString(node, PathOf(key)) : null;

    /// <summary>A string that must be given; reports it missing and returns "" otherwise.</summary>
    public string RequiredString(string key)
    {
        if (Get(key) is not { } node || node is YamlScalar { IsNull: true })
        {
            context.Diagnostics.Error(Node, PathOf(key), $"'{key}' is required");
            return "";
        }

        return context.AsString(node, PathOf(key)) ?? "";
    }

    /// <summary>A file path, resolved against the configuration file's directory.</summary>
    public string? FilePath(string key) => String(key) is { } text ? context.ResolvePath(text) : null;

    public string RequiredFilePath(string key) => context.ResolvePath(RequiredString(key));

    public bool Bool(string key, bool defaultValue) =>
        GetValue(key) is { } node ? context.AsBool(node, PathOf(key)) ?? defaultValue : defaultValue;

    public int Int(string key, int defaultValue) =>
        GetValue(key) is { } node ? (int?)context.AsInteger(node, PathOf(key), int.MinValue, int.MaxValue) ?? defaultValue : defaultValue;

    /// <summary>An integer that may be null (no limit); absent keeps <paramref name="defaultValue"/>.</summary>
    public int? OptionalInt(string key, int? defaultValue) => Get(key) switch
    {
        null => defaultValue,
        YamlScalar { IsNull: true } => null,
        var node => (int?)context.AsInteger(node, PathOf(key), int.MinValue, int.MaxValue) ?? defaultValue,
    };

    public long? OptionalLong(string key, long? defaultValue) => Get(key) switch
    {
        null => defaultValue,
        YamlScalar { IsNull: true } => null,
        var node => context.AsInteger(node, PathOf(key), long.MinValue, long.MaxValue) ?? defaultValue,
    };

    public double Number(string key, double defaultValue) =>
        GetValue(key) is { } node ? context.AsNumber(node, PathOf(key)) ?? defaultValue : defaultValue;

    /// <summary>A duration that must have a value.</summary>
    public TimeSpan Duration(string key, TimeSpan defaultValue) =>
        Get(key) is { } node && context.TryDuration(node, PathOf(key), allowOff: false, out var value, out _) ? value : defaultValue;

    /// <summary>A duration that null or <c>off</c> turns off.</summary>
    public TimeSpan? OptionalDuration(string key, TimeSpan? defaultValue)
    {
        if (Get(key) is not { } node || !context.TryDuration(node, PathOf(key), allowOff: true, out var value, out var off))
        {
            return defaultValue;
        }

        return off ? null : value;
    }

    /// <summary>A nested mapping; null when absent or null (or, after an error, something else).</summary>
    public MappingReader? Mapping(string key) => GetValue(key) is { } node ? context.AsMapping(node, PathOf(key)) : null;

    /// <summary>
    /// A nested optional section: absent keeps <paramref name="defaultValue"/>, null or <c>off</c> turns it off,
    /// a mapping is read by <paramref name="read"/>.
    /// </summary>
    public T? Section<T>(string key, T? defaultValue, Func<MappingReader, T> read)
        where T : class
    {
        var node = Get(key);
        if (node is null)
        {
            return defaultValue;
        }

        if (node is YamlScalar { IsNull: true } or YamlScalar { Value: "off" })
        {
            return null;
        }

        return context.AsMapping(node, PathOf(key)) is { } reader ? read(reader) : defaultValue;
    }

    /// <summary>The items of a list with their paths; empty when absent or null.</summary>
    public IReadOnlyList<(YamlNode Node, string Path)> Sequence(string key)
    {
        switch (GetValue(key))
        {
            case null:
                return [];
            case YamlSequence sequence:
                var items = new (YamlNode, string)[sequence.Items.Count];
                for (var i = 0; i < items.Length; i++)
                {
                    var itemPath = $"{PathOf(key)}[{i}]";
                    context.Diagnostics.Map.Add(itemPath, sequence.Items[i]);
                    items[i] = (sequence.Items[i], itemPath);
                }

                return items;
            case var other:
                context.Diagnostics.Error(other, PathOf(key), $"expected a list, found {ConfigReadContext.Describe(other)}");
                return [];
        }
    }

    /// <summary>A key that is accepted but has no effect here; a warning says so when it is present.</summary>
    public void Ignore(string key, string reason) => _ignored[key] = reason;

    /// <summary>Reports keys that were never asked for (unknown) and keys that are ignored.</summary>
    public void Finish()
    {
        foreach (var (key, _) in Node.Entries)
        {
            if (_known.Any(known => string.Equals(known, key.Value, KeyComparison)))
            {
                continue;
            }

            if (_ignored.TryGetValue(key.Value, out var reason))
            {
                context.Diagnostics.Warning(key, PathOf(key.Value), $"ignored: {reason}");
                continue;
            }

            var candidates = _known.Distinct().ToList();
            var hint = KeySuggester.Closest(key.Value, candidates) is { } suggestion
                ? $"did you mean '{suggestion}'?"
                : $"expected one of: {string.Join(", ", candidates)}";
            context.Diagnostics.Error(key, PathOf(key.Value), $"unknown key '{key.Value}'; {hint}");
        }
    }
}
