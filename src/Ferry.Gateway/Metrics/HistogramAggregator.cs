using System.Diagnostics.Metrics;

namespace Ferry.Gateway.Metrics;

/// <summary>Histograms: explicit buckets per series, written as <c>_bucket{le=...}</c>, <c>_sum</c> and <c>_count</c>.</summary>
internal sealed class HistogramAggregator : MetricAggregator
{
    private readonly SeriesTable<HistogramSeries> _series;
    private readonly double[] _bounds;

    public HistogramAggregator(Instrument instrument, string name, long order, double[] bounds, int maxSeries, Action limitReached)
        : base(instrument, name, PrometheusType.Histogram, order)
    {
        _bounds = bounds;
        _series = new SeriesTable<HistogramSeries>(labels => new HistogramSeries(labels, bounds), maxSeries, limitReached);
    }

    public override double[] Bounds => _bounds;

    public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        _series.Get(tags).Record(value);

    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        _series.Get(tags).Record(value);

    public override void CollectInto(MetricFamily family, int epoch)
    {
        var counts = new long[_bounds.Length + 1];
        foreach (var series in _series.Snapshot())
        {
            series.Snapshot(counts, out var sum, out var count);
            family.AddHistogram(series.Labels, counts, sum, count);
        }
    }
}
