using System.Globalization;
using System.Text;

namespace Ferry.Gateway.Metrics;

/// <summary>Pieces of the Prometheus text exposition format, version 0.0.4.</summary>
internal static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static void AppendHeader(StringBuilder builder, string name, PrometheusType type, string? help)
    {
        if (!string.IsNullOrEmpty(help))
        {
            builder.Append("# HELP ").Append(name).Append(' ');
            AppendEscapedHelp(builder, help);
            builder.Append('\n');
        }

        builder.Append("# TYPE ").Append(name).Append(' ').Append(TypeName(type)).Append('\n');
    }

    /// <summary>Appends <c>name{labels} value</c> and a line feed; <paramref name="extraLabel"/> (e.g. <c>le="1"</c>) goes last.</summary>
    public static void AppendSample(StringBuilder builder, string name, string labels, string? extraLabel, string value)
    {
        builder.Append(name);
        if (labels.Length > 0 || extraLabel is not null)
        {
            builder.Append('{').Append(labels);
            if (extraLabel is not null)
            {
                if (labels.Length > 0)
                {
                    builder.Append(',');
                }

                builder.Append(extraLabel);
            }

            builder.Append('}');
        }

        builder.Append(' ').Append(value).Append('\n');
    }

    /// <summary>A sample value or bucket bound: shortest round-trip form, <c>+Inf</c>, <c>-Inf</c> or <c>NaN</c>.</summary>
    public static string Number(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "+Inf" : "-Inf";
        }

        return value.ToString("R", CultureInfo.InvariantCulture);
    }

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string TypeName(PrometheusType type) => type switch
    {
        PrometheusType.Counter => "counter",
        PrometheusType.Gauge => "gauge",
        PrometheusType.Histogram => "histogram",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>HELP text escapes backslash and line feed (not quotes).</summary>
    private static void AppendEscapedHelp(StringBuilder builder, string help)
    {
        foreach (var c in help)
        {
            switch (c)
            {
                case '\\':
                    builder.Append(@"\\");
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
