using System.Globalization;

namespace Ferry.Gateway.Config;

/// <summary>
/// What the format readers share while turning <see cref="YamlNode"/>s into records: the diagnostics, where
/// relative paths are resolved, and the few rules on which the synapsor format differs (bare numbers are seconds,
/// keys are matched without case as synapsor's viper does).
/// </summary>
internal sealed class ConfigReadContext(
    ConfigDiagnostics diagnostics,
    string? baseDirectory,
    bool bareNumbersAreSeconds = false,
    bool caseInsensitiveKeys = false)
{
    public ConfigDiagnostics Diagnostics { get; } = diagnostics;

    public bool CaseInsensitiveKeys { get; } = caseInsensitiveKeys;

    public MappingReader Read(YamlMapping mapping, string path) => new(mapping, path, this);

    /// <summary>The same rules with diagnostics nobody reads: for building placeholder records of defaults.</summary>
    public ConfigReadContext Quiet() =>
        new(new ConfigDiagnostics(Diagnostics.Source), baseDirectory, bareNumbersAreSeconds, CaseInsensitiveKeys);

    /// <summary>A mapping node as a reader; null (after an error) when it is something else.</summary>
    public MappingReader? AsMapping(YamlNode node, string path)
    {
        if (node is YamlMapping mapping)
        {
            Diagnostics.Map.Add(path, node);
            return Read(mapping, path);
        }

        Diagnostics.Error(node, path, $"expected a mapping (key: value), found {Describe(node)}");
        return null;
    }

    /// <summary>A file path relative to the configuration file's directory made absolute.</summary>
    public string ResolvePath(string path) =>
        baseDirectory is null || path.Length == 0 || Path.IsPathRooted(path)
            ? path
            : Path.GetFullPath(Path.Combine(baseDirectory, path));

    public string? AsString(YamlNode node, string path)
    {
        if (node is YamlScalar scalar)
        {
            return scalar.Value;
        }

        Diagnostics.Error(node, path, $"expected a string, found {Describe(node)}");
        return null;
    }

    public bool? AsBool(YamlNode node, string path)
    {
        if (node is YamlScalar { Value: "true" or "True" or "TRUE" })
        {
            return true;
        }

        if (node is YamlScalar { Value: "false" or "False" or "FALSE" })
        {
            return false;
        }

        Diagnostics.Error(node, path, $"expected true or false, found {Describe(node)}");
        return null;
    }

    public long? AsInteger(YamlNode node, string path, long min, long max)
    {
        if (node is YamlScalar scalar
            && long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            if (value >= min && value <= max)
            {
                return value;
            }

            Diagnostics.Error(node, path, $"{value} is out of range; expected an integer from {min} to {max}");
            return null;
        }

        Diagnostics.Error(node, path, $"expected an integer, found {Describe(node)}");
        return null;
    }

    public double? AsNumber(YamlNode node, string path)
    {
        if (node is YamlScalar scalar
            && double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value))
        {
            return value;
        }

        Diagnostics.Error(node, path, $"expected a number, found {Describe(node)}");
        return null;
    }

    /// <summary>
    /// A Go-style duration. Returns false (after an error) when the node is not one; <paramref name="off"/> is set
    /// for null or <c>off</c> when <paramref name="allowOff"/>.
    /// </summary>
    public bool TryDuration(YamlNode node, string path, bool allowOff, out TimeSpan value, out bool off)
    {
        value = default;
        off = false;
        if (node is not YamlScalar scalar)
        {
            Diagnostics.Error(node, path, $"expected {GoDuration.ExpectedForm}, found {Describe(node)}");
            return false;
        }

        if (scalar.IsNull || scalar.Value == "off")
        {
            if (allowOff)
            {
                off = true;
                return true;
            }

            Diagnostics.Error(node, path, $"expected {GoDuration.ExpectedForm}; this one cannot be turned off");
            return false;
        }

        if (GoDuration.TryParse(scalar.Value, out value))
        {
            return true;
        }

        if (bareNumbersAreSeconds
            && double.TryParse(scalar.Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            && Math.Abs(seconds) <= TimeSpan.MaxValue.TotalSeconds)
        {
            value = TimeSpan.FromSeconds(seconds);
            return true;
        }

        var hint = !bareNumbersAreSeconds && double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            ? $"; a bare number has no unit (write {scalar.Value}s for seconds)"
            : "";
        Diagnostics.Error(node, path, $"expected {GoDuration.ExpectedForm}, found '{scalar.Value}'{hint}");
        return false;
    }

    public static string Describe(YamlNode node) => node switch
    {
        YamlScalar { IsNull: true } => "nothing (null)",
        YamlScalar scalar => $"'{scalar.Value}'",
        _ => node.Kind,
    };
}
