using System.Diagnostics.Metrics;

namespace Ferry.Gateway.Metrics;

/// <summary>
/// Aggregates one instrument's measurements per tag set. The <see cref="System.Diagnostics.Metrics.MeterListener"/>
/// passes the aggregator as the instrument's state, so a measurement reaches its series with no lookup by instrument.
/// </summary>
internal abstract class MetricAggregator(Instrument instrument, string name, PrometheusType type, long order)
{
    public Instrument Instrument { get; } = instrument;

    /// <summary>The Prometheus metric family name, e.g. <c>kestrel_connection_duration_seconds</c>.</summary>
    public string Name { get; } = name;

    public PrometheusType Type { get; } = type;

    /// <summary>Publication order; when two instruments claim one name with different types, the first one wins.</summary>
    public long Order { get; } = order;

    public virtual double[]? Bounds => null;

    /// <summary>Set once a name conflict has been logged, so it is logged once per instrument, not per scrape.</summary>
    public bool ConflictReported { get; set; }

    public abstract void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

    public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

    /// <summary>Adds this instrument's series to <paramref name="family"/> (at a scrape).</summary>
    public abstract void CollectInto(MetricFamily family, int epoch);

    /// <summary>The aggregator for an instrument, or null when its kind is not one this exporter knows.</summary>
    public static MetricAggregator? Create(Instrument instrument, long order, int maxSeries, CollectionEpoch epoch, Action limitReached)
    {
        var type = instrument.GetType();
        var definition = type.IsGenericType ? type.GetGenericTypeDefinition() : null;
        if (definition == typeof(Histogram<>))
        {
            var bounds = HistogramBuckets.For(instrument);
            var name = PrometheusNaming.MetricName(instrument.Name, instrument.Unit, PrometheusType.Histogram, isGaugeInstrument: false);
            return new HistogramAggregator(instrument, name, order, bounds, maxSeries, limitReached);
        }

        NumberAggregator.Kind? kind =
            definition == typeof(Counter<>) ? NumberAggregator.Kind.Counter
            : definition == typeof(ObservableCounter<>) ? NumberAggregator.Kind.ObservableCounter
            : definition == typeof(UpDownCounter<>) ? NumberAggregator.Kind.UpDownCounter
            : definition == typeof(ObservableUpDownCounter<>) ? NumberAggregator.Kind.ObservableUpDownCounter
            : definition == typeof(Gauge<>) ? NumberAggregator.Kind.Gauge
            : definition == typeof(ObservableGauge<>) ? NumberAggregator.Kind.ObservableGauge
            : null;

        return kind is { } known ? new NumberAggregator(instrument, known, order, maxSeries, epoch, limitReached) : null;
    }
}
