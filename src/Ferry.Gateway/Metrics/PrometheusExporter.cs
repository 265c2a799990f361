using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ferry.Gateway.Metrics;

/// <summary>
/// Listens to the selected meters and writes what they measured in the Prometheus text format.
/// <code>
/// instrument published ──► selected meter? ──► aggregator (the instrument's listener state)
/// measurement ──► aggregator ──► series for its tags (no allocation once the series exists)
/// scrape ──► observe observable instruments ──► families by Prometheus name ──► text sorted by name
/// </code>
/// Tag values should be strings (or cached boxes): the caller boxes a value-type tag before the exporter sees it,
/// and that allocation is the caller's, on every measurement. Only measurement tags become labels: tags given to a
/// meter or an instrument when it is created are not exported.
/// </summary>
internal sealed class PrometheusExporter : IDisposable
{
    public const string ContentType = PrometheusText.ContentType;

    private readonly MeterListener _listener;
    private readonly MeterSelector _selector;
    private readonly int _maxSeries;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Instrument, MetricAggregator> _aggregators = new();
    private readonly CollectionEpoch _epoch = new();

    // Serialises scrapes: observable callbacks run on the scraping thread and stamp the current epoch. Never disposed:
    // it has no wait handle unless one is asked for, and a scrape racing Dispose must not meet a disposed semaphore.
    private readonly SemaphoreSlim _scrapeLock = new(1, 1);
    private long _published;
    private volatile bool _disposed;

    /// <param name="options">Meters to export and series limits; validated here as well.</param>
    /// <param name="meterFactory">The container's meter factory: meters from other factories are ignored. Null to
    /// take meters from every factory.</param>
    /// <param name="logger">Logs name conflicts, failing observable callbacks and series limits.</param>
    public PrometheusExporter(MetricsOptions options, IMeterFactory? meterFactory = null, ILogger<PrometheusExporter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = MetricsOptionsValidator.Errors(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        _selector = new MeterSelector([.. options.MeterPrefixes], meterFactory);
        _maxSeries = options.MaxSeriesPerInstrument;
        _logger = logger ?? NullLogger<PrometheusExporter>.Instance;

        _listener = new MeterListener
        {
            InstrumentPublished = OnInstrumentPublished,
            MeasurementsCompleted = OnMeasurementsCompleted,
        };
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => ((MetricAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => ((MetricAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((MetricAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((MetricAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((MetricAggregator)state!).Record((double)value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((MetricAggregator)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => ((MetricAggregator)state!).Record((double)value, tags));
        _listener.Start();
    }

    /// <summary>Writes every selected instrument's series as UTF-8 Prometheus text to <paramref name="output"/>.</summary>
    public async Task WriteAsync(Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var text = await CollectAsync(cancellationToken).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(text));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, buffer);
            await output.WriteAsync(buffer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Writes every selected instrument's series as Prometheus text to <paramref name="output"/>.</summary>
    public async Task WriteAsync(TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var text = await CollectAsync(cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(text.AsMemory(), cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _disposed = true;
        _listener.Dispose();
    }

    private async Task<string> CollectAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _scrapeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return Collect();
        }
        finally
        {
            _scrapeLock.Release();
        }
    }

    private string Collect()
    {
        var epoch = _epoch.Advance();
        try
        {
            _listener.RecordObservableInstruments();
        }
        catch (AggregateException exception)
        {
            // The other instruments were still observed; the failing ones are left out of this scrape.
            MetricsLog.ObservableCallbackFailed(_logger, exception);
        }

        var families = new Dictionary<string, MetricFamily>(StringComparer.Ordinal);
        foreach (var aggregator in _aggregators.Values.OrderBy(aggregator => aggregator.Order))
        {
            if (!families.TryGetValue(aggregator.Name, out var family))
            {
                family = new MetricFamily(aggregator.Name, aggregator.Type, aggregator.Instrument.Description, aggregator.Bounds);
                families.Add(aggregator.Name, family);
            }
            else if (!family.Accepts(aggregator.Type, aggregator.Bounds))
            {
                if (!aggregator.ConflictReported)
                {
                    aggregator.ConflictReported = true;
                    MetricsLog.NameConflict(_logger, aggregator.Instrument.Name, aggregator.Instrument.Meter.Name, aggregator.Name);
                }

                continue;
            }

            aggregator.CollectInto(family, epoch);
        }

        var builder = new StringBuilder();
        foreach (var family in families.Values.OrderBy(family => family.Name, StringComparer.Ordinal))
        {
            family.WriteTo(builder);
        }

        return builder.ToString();
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!_selector.Selects(instrument.Meter))
        {
            return;
        }

        var order = Interlocked.Increment(ref _published);
        var aggregator = MetricAggregator.Create(instrument, order, _maxSeries, _epoch, () =>
            MetricsLog.SeriesLimitReached(_logger, instrument.Name, instrument.Meter.Name, _maxSeries));
        if (aggregator is null)
        {
            MetricsLog.UnsupportedInstrument(_logger, instrument.Name, instrument.Meter.Name, instrument.GetType().Name);
            return;
        }

        _aggregators[instrument] = aggregator;
        listener.EnableMeasurementEvents(instrument, aggregator);
    }

    private void OnMeasurementsCompleted(Instrument instrument, object? state) => _aggregators.TryRemove(instrument, out _);
}
