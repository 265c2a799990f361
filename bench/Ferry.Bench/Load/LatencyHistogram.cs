using System.Diagnostics;
using System.Numerics;

namespace Ferry.Bench.Load;

/// <summary>
/// A latency histogram in HdrHistogram's manner: values below 64 ticks are counted exactly; above, each power-of-two
/// range is split into 64 linear sub-buckets, so any recorded value is known to within 1/64 (1.6 %) and a percentile
/// is reported as its bucket's midpoint (within 0.8 %). Recording is an index computation and an increment: no
/// allocation, no lock. One histogram per worker; <see cref="Add"/> merges them after the run.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 6;
    private const int SubBuckets = 1 << SubBucketBits;

    // Bucket 0 holds 0..63 exactly; then one row of 64 per exponent 6..62.
    private readonly long[] _counts = new long[SubBuckets + ((63 - SubBucketBits) * SubBuckets)];

    public long Count { get; private set; }

    /// <summary>Calls completed outside the measured window (warm-up, drain); only counted, for CPU-per-call figures.</summary>
    public long Unmeasured { get; set; }

    public long MaxTicks { get; private set; }

    /// <summary>Records one duration in <see cref="Stopwatch"/> ticks.</summary>
    public void Record(long ticks)
    {
        if (ticks < 0)
        {
            ticks = 0;
        }

        _counts[IndexOf(ticks)]++;
        Count++;
        if (ticks > MaxTicks)
        {
            MaxTicks = ticks;
        }
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        Unmeasured += other.Unmeasured;
        MaxTicks = Math.Max(MaxTicks, other.MaxTicks);
    }

    /// <summary>The value at or below which <paramref name="percentile"/> % of recorded values fall, in microseconds.</summary>
    public double PercentileMicroseconds(double percentile)
    {
        if (Count == 0)
        {
            return double.NaN;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100 * Count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return ToMicroseconds(Midpoint(i));
            }
        }

        return ToMicroseconds(MaxTicks);
    }

    public double MaxMicroseconds => ToMicroseconds(MaxTicks);

    internal static int IndexOf(long value)
    {
        if (value < SubBuckets)
        {
            return (int)value;
        }

        var exponent = 63 - BitOperations.LeadingZeroCount((ulong)value);
        var shift = exponent - SubBucketBits;
        var sub = (int)(value >> shift) & (SubBuckets - 1);
        return SubBuckets + (shift * SubBuckets) + sub;
    }

    internal static double Midpoint(int index)
    {
        if (index < SubBuckets)
        {
            return index;
        }

        var shift = (index - SubBuckets) / SubBuckets;
        var sub = (index - SubBuckets) % SubBuckets;
        var low = (double)((long)(SubBuckets | sub) << shift);
        return low + (((1L << shift) - 1) / 2.0);
    }

    private static double ToMicroseconds(double ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
}
