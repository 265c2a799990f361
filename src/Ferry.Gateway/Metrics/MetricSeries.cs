namespace Ferry.Gateway.Metrics;

/// <summary>One time series of an instrument: the values recorded under one tag set.</summary>
internal abstract class MetricSeries(string labels)
{
    /// <summary>The series' labels as Prometheus text, <c>key="value",...</c> without braces; empty for no tags.</summary>
    public string Labels { get; } = labels;
}
