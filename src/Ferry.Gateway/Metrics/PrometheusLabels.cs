using System.Globalization;
using System.Text;

namespace Ferry.Gateway.Metrics;

/// <summary>
/// Renders a series' tags as Prometheus labels, once, when the series is created. Keys are translated like metric
/// names; two keys that translate to the same label have their values joined with <c>;</c> in the order of the
/// original keys (the OpenTelemetry rule). Labels are sorted by name so the output is stable.
/// </summary>
internal static class PrometheusLabels
{
    /// <summary>The labels of the series that takes measurements past an instrument's series limit.</summary>
    public const string Overflow = "otel_metric_overflow=\"true\"";

    /// <param name="tags">Tags sorted by key, each key once.</param>
    public static string Format(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = new List<KeyValuePair<string, string>>(tags.Length);
        foreach (var tag in tags)
        {
            var name = PrometheusNaming.LabelName(tag.Key);
            var value = ValueText(tag.Value);
            var existing = labels.FindIndex(label => label.Key == name);
            if (existing >= 0)
            {
                labels[existing] = new(name, $"{labels[existing].Value};{value}");
            }
            else
            {
                labels.Add(new(name, value));
            }
        }

        labels.Sort(static (x, y) => string.CompareOrdinal(x.Key, y.Key));
        var builder = new StringBuilder();
        foreach (var label in labels)
        {
            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append(label.Key).Append("=\"");
            AppendEscapedValue(builder, label.Value);
            builder.Append('"');
        }

        return builder.ToString();
    }

    /// <summary>A tag value as text: strings as they are, numbers and dates in the invariant culture.</summary>
    public static string ValueText(object? value) => value switch
    {
        null => "",
        string text => text,
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Escapes a label value: backslash, double quote and line feed.</summary>
    public static void AppendEscapedValue(StringBuilder builder, string value)
    {
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\':
                    builder.Append(@"\\");
                    break;
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\n':
                    builder.Append(@"\n");
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }
    }
}
