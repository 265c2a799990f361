using System.Buffers;
using System.Collections.Concurrent;

namespace Ferry.Gateway.Metrics;

/// <summary>
/// The series of one instrument, found by the measurement's tags.
/// <code>
/// measurement tags ──► no tags? ──► the tagless series (a field)
///        │
///        ▼ lock-free, no allocation
/// by-arrival dictionary (tags in the order the caller gave them) ──hit──► series
///        │ miss (first sight of this tag set, or of this order)
///        ▼ under the table's lock
/// sort a pooled copy by key ──► canonical dictionary ──hit──► alias the arrival order to it
///        │ miss
///        ▼
/// below the series limit? new series (labels rendered once) : the overflow series
/// </code>
/// Two orders of the same tags are one series; the arrival-order alias makes the second order as cheap as the first.
/// </summary>
internal sealed class SeriesTable<TSeries>
    where TSeries : MetricSeries
{
    private static readonly Comparison<KeyValuePair<string, object?>> ByKey =
        static (x, y) => string.CompareOrdinal(x.Key, y.Key);

    private readonly Func<string, TSeries> _create;
    private readonly int _maxSeries;
    private readonly int _maxAliases;
    private readonly Action _limitReached;
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<TagSet, TSeries> _byArrival = new(TagSetComparer.Instance);
    private readonly ConcurrentDictionary<TagSet, TSeries>.AlternateLookup<TagSpan> _byArrivalLookup;
    private readonly Dictionary<TagSet, TSeries> _byCanonical = new(TagSetComparer.Instance);
    private readonly Dictionary<TagSet, TSeries>.AlternateLookup<TagSpan> _byCanonicalLookup;
    private readonly List<TSeries> _series = [];
    private TSeries? _tagless;
    private TSeries? _overflow;

    /// <param name="create">Makes a series from its rendered labels.</param>
    /// <param name="maxSeries">Most distinct tag sets; measurements with further tag sets go to one overflow series.</param>
    /// <param name="limitReached">Called once, the first time the limit turns a tag set away.</param>
    public SeriesTable(Func<string, TSeries> create, int maxSeries, Action limitReached)
    {
        _create = create;
        _maxSeries = maxSeries;
        _maxAliases = maxSeries * 2;
        _limitReached = limitReached;
        _byArrivalLookup = _byArrival.GetAlternateLookup<TagSpan>();
        _byCanonicalLookup = _byCanonical.GetAlternateLookup<TagSpan>();
    }

    public TSeries Get(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty)
        {
            return Volatile.Read(ref _tagless) ?? GetTagless();
        }

        return _byArrivalLookup.TryGetValue(new TagSpan(tags), out var series) ? series : Add(tags);
    }

    /// <summary>A copy of the series list, for a scrape.</summary>
    public TSeries[] Snapshot()
    {
        lock (_lock)
        {
            return [.. _series];
        }
    }

    private TSeries GetTagless()
    {
        lock (_lock)
        {
            if (_tagless is null)
            {
                var series = _create("");
                _series.Add(series);
                Volatile.Write(ref _tagless, series);
            }

            return _tagless;
        }
    }

    private TSeries Add(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (_lock)
        {
            if (_byArrivalLookup.TryGetValue(new TagSpan(tags), out var series))
            {
                return series;
            }

            var buffer = ArrayPool<KeyValuePair<string, object?>>.Shared.Rent(tags.Length);
            try
            {
                var canonical = Canonicalize(tags, buffer);
                if (!_byCanonicalLookup.TryGetValue(new TagSpan(canonical), out series))
                {
                    series = _byCanonical.Count < _maxSeries ? New(canonical) : Overflow();
                }
            }
            finally
            {
                ArrayPool<KeyValuePair<string, object?>>.Shared.Return(buffer, clearArray: true);
            }

            // Past the alias cap (tag sets beyond the series limit, or many orders of the same tags) the measurement
            // still lands in the right series, only through this slower path.
            if (_byArrival.Count < _maxAliases)
            {
                _byArrival.TryAdd(new TagSet(tags), series);
            }

            return series;
        }
    }

    private TSeries New(ReadOnlySpan<KeyValuePair<string, object?>> canonical)
    {
        var series = _create(PrometheusLabels.Format(canonical));
        _byCanonical.Add(new TagSet(canonical), series);
        _series.Add(series);
        return series;
    }

    private TSeries Overflow()
    {
        if (_overflow is null)
        {
            _overflow = _create(PrometheusLabels.Overflow);
            _series.Add(_overflow);
            _limitReached();
        }

        return _overflow;
    }

    /// <summary>Copies the tags into <paramref name="buffer"/> sorted by key; a repeated key keeps its last value.</summary>
    private static ReadOnlySpan<KeyValuePair<string, object?>> Canonicalize(
        ReadOnlySpan<KeyValuePair<string, object?>> tags, KeyValuePair<string, object?>[] buffer)
    {
        var count = 0;
        foreach (var tag in tags)
        {
            var existing = IndexOfKey(buffer.AsSpan(0, count), tag.Key);
            if (existing >= 0)
            {
                buffer[existing] = tag;
            }
            else
            {
                buffer[count++] = tag;
            }
        }

        var span = buffer.AsSpan(0, count);
        span.Sort(ByKey);
        return span;
    }

    private static int IndexOfKey(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        for (var i = 0; i < tags.Length; i++)
        {
            if (string.Equals(tags[i].Key, key, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
