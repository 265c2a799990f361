using System.Globalization;

namespace Ferry.Bench.Load;

/// <summary>
/// One <c>RESULT</c> line per scenario, <c>key=value</c> pairs the scripts parse (invariant culture), e.g.
/// <c>RESULT scenario=unary connections=16 streams=32 seconds=10.00 calls=412345 rate=41234.5 p50_us=380.2 p99_us=1450.0</c>.
/// </summary>
internal static class LoadReport
{
    public static void Timed(string scenario, LoadOptions options, TimeSpan measured, LatencyHistogram histogram, long? serverTicks)
    {
        if (options.Quiet)
        {
            return;
        }

        Write(
            ("scenario", scenario),
            ("connections", options.Connections),
            ("streams", options.Streams),
            ("seconds", measured.TotalSeconds),
            ("calls", histogram.Count),
            ("all_calls", histogram.Count + histogram.Unmeasured),
            ("rate", histogram.Count / measured.TotalSeconds),
            ("p50_us", histogram.PercentileMicroseconds(50)),
            ("p99_us", histogram.PercentileMicroseconds(99)),
            ("max_us", histogram.MaxMicroseconds),
            ("server_cpu_us", serverTicks is { } ticks ? ticks * 1e6 / options.ClockTicksPerSecond / Math.Max(1, histogram.Count) : double.NaN));
    }

    public static void Bulk(string scenario, LoadOptions options, long bytes, int calls, TimeSpan elapsed)
    {
        if (options.Quiet)
        {
            return;
        }

        Write(
            ("scenario", scenario),
            ("calls", calls),
            ("bytes", bytes),
            ("seconds", elapsed.TotalSeconds),
            ("mib_per_s", bytes / 1048576.0 / elapsed.TotalSeconds));
    }

    private static void Write(params (string Key, object Value)[] fields)
    {
        var parts = fields.Select(f => f.Key + "=" + (f.Value switch
        {
            double d when double.IsNaN(d) => "-",
            double d => d.ToString(d >= 100 ? "0.0" : "0.00", CultureInfo.InvariantCulture),
            IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
            var other => other.ToString(),
        }));
        Console.WriteLine("RESULT " + string.Join(' ', parts));
    }
}
