using System.Diagnostics.Metrics;
using System.Numerics;

namespace Ferry.Gateway.Metrics;

/// <summary>
/// Bucket bounds of a histogram: the instrument's advice (<see cref="InstrumentAdvice{T}.HistogramBucketBoundaries"/>)
/// when it gives one, else a default chosen by the unit.
/// </summary>
internal static class HistogramBuckets
{
    /// <summary>Unit <c>s</c>: 0.5 ms to 10 s, OpenTelemetry's HTTP duration buckets with three finer ones below 5 ms.</summary>
    public static readonly double[] Seconds =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    /// <summary>Unit <c>ms</c>: the same range as <see cref="Seconds"/>.</summary>
    public static readonly double[] Milliseconds =
        [0.5, 1, 2.5, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    /// <summary>Unit <c>By</c>: powers of 4 from 64 B to 64 MiB.</summary>
    public static readonly double[] Bytes =
        [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    /// <summary>Any other unit: OpenTelemetry's default explicit buckets.</summary>
    public static readonly double[] Default =
        [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    public static double[] For(Instrument instrument)
    {
        var advised = instrument switch
        {
            Instrument<byte> typed => Advised(typed),
            Instrument<short> typed => Advised(typed),
            Instrument<int> typed => Advised(typed),
            Instrument<long> typed => Advised(typed),
            Instrument<float> typed => Advised(typed),
            Instrument<double> typed => Advised(typed),
            Instrument<decimal> typed => Advised(typed),
            _ => null,
        };

        if (advised is { Length: > 0 })
        {
            return advised;
        }

        return instrument.Unit switch
        {
            "s" => Seconds,
            "ms" => Milliseconds,
            "By" => Bytes,
            _ => Default,
        };
    }

    private static double[]? Advised<T>(Instrument<T> instrument)
        where T : struct, INumberBase<T>
    {
        var bounds = instrument.Advice?.HistogramBucketBoundaries;
        if (bounds is null)
        {
            return null;
        }

        // The runtime already requires ascending bounds; non-finite ones would only duplicate +Inf.
        return [.. bounds.Select(double.CreateChecked).Where(double.IsFinite).Distinct().Order()];
    }
}
