namespace Ferry.Gateway.Metrics;

/// <summary>The Prometheus metric types the exporter writes, as they appear on <c># TYPE</c> lines.</summary>
internal enum PrometheusType
{
    Counter,
    Gauge,
    Histogram,
}
