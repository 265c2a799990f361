namespace Ferry.Gateway.Metrics;

/// <summary>
/// Explicit-bucket histogram of one series. The bucket is found outside the lock; the lock keeps the bucket counts,
/// sum and count consistent with each other so a scrape never sees a count that its buckets do not add up to.
/// </summary>
internal sealed class HistogramSeries(string labels, double[] bounds) : MetricSeries(labels)
{
    private readonly Lock _lock = new();
    private readonly long[] _counts = new long[bounds.Length + 1];
    private double _sum;
    private long _count;

    public void Record(double value)
    {
        if (double.IsNaN(value))
        {
            return;
        }

        // Buckets are upper-inclusive (Prometheus "le"): a value equal to a bound belongs to that bound's bucket.
        var bucket = Array.BinarySearch(bounds, value);
        if (bucket < 0)
        {
            bucket = ~bucket;
        }

        lock (_lock)
        {
            _counts[bucket]++;
            _sum += value;
            _count++;
        }
    }

    /// <summary>Copies the per-bucket (not cumulative) counts, the last one for +Inf.</summary>
    public void Snapshot(Span<long> counts, out double sum, out long count)
    {
        lock (_lock)
        {
            _counts.CopyTo(counts);
            sum = _sum;
            count = _count;
        }
    }
}
