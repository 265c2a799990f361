namespace Ferry.Gateway.Tests.Metrics;

/// <summary>A fact skipped when python3 with the prometheus_client module is not installed.</summary>
internal sealed class PythonPrometheusClientFactAttribute : FactAttribute
{
    public PythonPrometheusClientFactAttribute()
    {
        if (!PythonPrometheusClient.IsAvailable)
        {
            Skip = "python3 with prometheus_client is not installed (apt-get install python3-prometheus-client).";
        }
    }
}
