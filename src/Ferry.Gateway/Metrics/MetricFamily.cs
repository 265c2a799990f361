using System.Text;

namespace Ferry.Gateway.Metrics;

/// <summary>
/// One Prometheus metric family, assembled at a scrape. Several instruments can translate to one name (the same meter
/// created in two containers, or <c>a.b</c> beside <c>a_b</c>); their series are merged here so the output never holds
/// a family or a series twice: counters and up-down counters add, gauges keep the later instrument's value,
/// histograms with the same buckets add bucket by bucket.
/// </summary>
internal sealed class MetricFamily(string name, PrometheusType type, string? help, double[]? bounds)
{
    private readonly Dictionary<string, Sample> _samples = new(StringComparer.Ordinal);

    public string Name { get; } = name;

    public bool Accepts(PrometheusType otherType, double[]? otherBounds) =>
        otherType == type && (type != PrometheusType.Histogram || bounds.AsSpan().SequenceEqual(otherBounds));

    public void AddValue(string labels, double value, bool additive)
    {
        if (_samples.TryGetValue(labels, out var sample))
        {
            sample.Value = additive ? sample.Value + value : value;
        }
        else
        {
            _samples.Add(labels, new Sample { Value = value });
        }
    }

    /// <param name="counts">Per-bucket counts (not cumulative), the last for +Inf.</param>
    public void AddHistogram(string labels, ReadOnlySpan<long> counts, double sum, long count)
    {
        if (!_samples.TryGetValue(labels, out var sample))
        {
            sample = new Sample { Counts = new long[counts.Length] };
            _samples.Add(labels, sample);
        }

        for (var i = 0; i < counts.Length; i++)
        {
            sample.Counts![i] += counts[i];
        }

        sample.Value += sum;
        sample.Count += count;
    }

    public void WriteTo(StringBuilder builder)
    {
        if (_samples.Count == 0)
        {
            return;
        }

        PrometheusText.AppendHeader(builder, Name, type, help);
        foreach (var (labels, sample) in _samples.OrderBy(entry => entry.Key, StringComparer.Ordinal))
        {
            if (type == PrometheusType.Histogram)
            {
                WriteHistogram(builder, labels, sample);
            }
            else
            {
                PrometheusText.AppendSample(builder, Name, labels, null, PrometheusText.Number(sample.Value));
            }
        }
    }

    private void WriteHistogram(StringBuilder builder, string labels, Sample sample)
    {
        var bucketName = Name + "_bucket";
        long cumulative = 0;
        for (var i = 0; i < sample.Counts!.Length; i++)
        {
            cumulative += sample.Counts[i];
            var le = i < bounds!.Length ? PrometheusText.Number(bounds[i]) : "+Inf";
            PrometheusText.AppendSample(builder, bucketName, labels, $"le=\"{le}\"", PrometheusText.Number(cumulative));
        }

        PrometheusText.AppendSample(builder, Name + "_sum", labels, null, PrometheusText.Number(sample.Value));
        PrometheusText.AppendSample(builder, Name + "_count", labels, null, PrometheusText.Number(sample.Count));
    }

    /// <summary>A counter or gauge value, or a histogram's buckets with its sum in <see cref="Value"/>.</summary>
    private sealed class Sample
    {
        public double Value;
        public long[]? Counts;
        public long Count;
    }
}
