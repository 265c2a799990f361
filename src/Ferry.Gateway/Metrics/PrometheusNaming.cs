using System.Text;

namespace Ferry.Gateway.Metrics;

/// <summary>
/// Translates OpenTelemetry-style instrument names, units and tag keys to Prometheus names, following the
/// OpenTelemetry specification's "Prometheus and OpenMetrics compatibility" rules as OpenTelemetry's own Prometheus
/// exporter applies them:
/// <list type="bullet">
/// <item>a character outside <c>[a-zA-Z0-9_:]</c> (<c>[a-zA-Z0-9_]</c> for labels) becomes <c>_</c>, a run of
/// underscores becomes one, and a leading digit gets a <c>_</c> in front (OpenTelemetry replaces the digit; keeping it
/// loses nothing);</item>
/// <item>the unit is appended unless the name already ends with it: <c>{annotations}</c> are dropped, abbreviations
/// spelled out (<c>s</c> → <c>seconds</c>, <c>By</c> → <c>bytes</c>, ...), <c>a/b</c> becomes <c>a_per_b</c>, and
/// <c>1</c> adds nothing;</item>
/// <item>a gauge instrument whose unit is <c>1</c> ends in <c>_ratio</c> (OpenTelemetry's exporter did this until
/// the specification dropped it; kept here because a dimensionless gauge is nearly always a ratio);</item>
/// <item>a counter ends in <c>_total</c>, after the unit.</item>
/// </list>
/// </summary>
internal static class PrometheusNaming
{
    private const string TotalSuffix = "_total";
    private const string RatioSuffix = "_ratio";

    /// <param name="instrumentName">The instrument's name, e.g. <c>kestrel.connection.duration</c>.</param>
    /// <param name="unit">The instrument's UCUM unit, e.g. <c>s</c>; null or empty for none.</param>
    /// <param name="type">The Prometheus type the instrument becomes.</param>
    /// <param name="isGaugeInstrument">True for <c>Gauge</c> and <c>ObservableGauge</c> (not up-down counters).</param>
    public static string MetricName(string instrumentName, string? unit, PrometheusType type, bool isGaugeInstrument)
    {
        var name = Sanitize(instrumentName, allowColon: true);
        if (type == PrometheusType.Counter && name.EndsWith(TotalSuffix, StringComparison.Ordinal) && name.Length > TotalSuffix.Length)
        {
            // "_total" is re-added after the unit: the unit suffix comes before type suffixes.
            name = name[..^TotalSuffix.Length];
        }

        var unitSuffix = UnitSuffix(unit);
        if (unitSuffix.Length > 0 && !EndsWithWord(name, unitSuffix))
        {
            name = $"{name}_{unitSuffix}";
        }

        if (isGaugeInstrument && type == PrometheusType.Gauge && unit == "1" && !EndsWithWord(name, RatioSuffix[1..]))
        {
            name += RatioSuffix;
        }

        if (type == PrometheusType.Counter)
        {
            name += TotalSuffix;
        }

        return name;
    }

    /// <summary>A tag key as a Prometheus label name.</summary>
    public static string LabelName(string key) => Sanitize(key, allowColon: false);

    /// <summary>The Prometheus spelling of a UCUM unit, without a leading underscore; empty when it adds nothing.</summary>
    public static string UnitSuffix(string? unit)
    {
        if (string.IsNullOrEmpty(unit))
        {
            return "";
        }

        var plain = RemoveAnnotations(unit);
        var slash = plain.IndexOf('/');
        var spelled = slash >= 0 && slash < plain.Length - 1
            ? $"{MapUnit(plain[..slash])}_per_{MapPerUnit(plain[(slash + 1)..])}"
            : MapUnit(plain);
        return Sanitize(spelled, allowColon: false, collapseOnly: true).Trim('_');
    }

    private static bool EndsWithWord(string name, string word) =>
        name == word || (name.EndsWith(word, StringComparison.Ordinal) && name[^(word.Length + 1)] == '_');

    /// <summary>Removes <c>{...}</c> annotations: <c>{request}/s</c> → <c>/s</c>, <c>{connection}</c> → empty.</summary>
    private static string RemoveAnnotations(string unit)
    {
        if (!unit.Contains('{', StringComparison.Ordinal))
        {
            return unit;
        }

        var builder = new StringBuilder(unit.Length);
        var inAnnotation = false;
        foreach (var c in unit)
        {
            if (c == '{')
            {
                inAnnotation = true;
            }
            else if (c == '}' && inAnnotation)
            {
                inAnnotation = false;
            }
            else if (!inAnnotation)
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static string MapUnit(string unit) => unit switch
    {
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" or "B" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "TiBy" => "tibibytes",
        "KBy" or "KB" => "kilobytes",
        "MBy" or "MB" => "megabytes",
        "GBy" or "GB" => "gigabytes",
        "TBy" or "TB" => "terabytes",
        "m" => "meters",
        "V" => "volts",
        "A" => "amperes",
        "J" => "joules",
        "W" => "watts",
        "g" => "grams",
        "Cel" => "celsius",
        "Hz" => "hertz",
        "1" => "",
        "%" => "percent",
        "$" => "dollars",
        _ => unit,
    };

    private static string MapPerUnit(string unit) => unit switch
    {
        "s" => "second",
        "m" => "minute",
        "h" => "hour",
        "d" => "day",
        "w" => "week",
        "mo" => "month",
        "y" => "year",
        _ => unit,
    };

    private static string Sanitize(string value, bool allowColon, bool collapseOnly = false)
    {
        var builder = new StringBuilder(value.Length + 1);
        if (!collapseOnly && (value.Length == 0 || char.IsAsciiDigit(value[0])))
        {
            builder.Append('_');
        }

        foreach (var c in value)
        {
            var valid = char.IsAsciiLetterOrDigit(c) || (allowColon && c == ':');
            var next = valid ? c : '_';
            if (next == '_' && builder.Length > 0 && builder[^1] == '_')
            {
                continue;
            }

            builder.Append(next);
        }

        return builder.ToString();
    }
}
