using System.Diagnostics.Metrics;

namespace Ferry.Gateway.Metrics;

/// <summary>
/// Counters, up-down counters and gauges. Synchronous counters add each measurement; observable instruments report
/// their current value at a scrape, which replaces the previous one, and only the series reported in the latest scrape
/// are written.
/// </summary>
internal sealed class NumberAggregator : MetricAggregator
{
    private readonly SeriesTable<NumberSeries> _series;
    private readonly CollectionEpoch _epoch;
    private readonly bool _adds;
    private readonly bool _observable;
    private readonly bool _additiveAcrossInstruments;

    public NumberAggregator(Instrument instrument, Kind kind, long order, int maxSeries, CollectionEpoch epoch, Action limitReached)
        : base(instrument, NameOf(instrument, kind), TypeOf(kind), order)
    {
        _series = new SeriesTable<NumberSeries>(static labels => new NumberSeries(labels), maxSeries, limitReached);
        _epoch = epoch;
        _adds = kind is Kind.Counter or Kind.UpDownCounter;
        _observable = instrument.IsObservable;
        _additiveAcrossInstruments = kind is not (Kind.Gauge or Kind.ObservableGauge);
    }

    public enum Kind
    {
        Counter,
        ObservableCounter,
        UpDownCounter,
        ObservableUpDownCounter,
        Gauge,
        ObservableGauge,
    }

    public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var series = _series.Get(tags);
        if (_adds)
        {
            series.Add(value);
        }
        else
        {
            series.Set(value, _epoch.Current);
        }
    }

    public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var series = _series.Get(tags);
        if (_adds)
        {
            series.Add(value);
        }
        else
        {
            series.Set(value, _epoch.Current);
        }
    }

    public override void CollectInto(MetricFamily family, int epoch)
    {
        foreach (var series in _series.Snapshot())
        {
            if (!_observable || series.Epoch == epoch)
            {
                family.AddValue(series.Labels, series.Value, _additiveAcrossInstruments);
            }
        }
    }

    private static PrometheusType TypeOf(Kind kind) =>
        kind is Kind.Counter or Kind.ObservableCounter ? PrometheusType.Counter : PrometheusType.Gauge;

    private static string NameOf(Instrument instrument, Kind kind) =>
        PrometheusNaming.MetricName(instrument.Name, instrument.Unit, TypeOf(kind), isGaugeInstrument: kind is Kind.Gauge or Kind.ObservableGauge);
}
