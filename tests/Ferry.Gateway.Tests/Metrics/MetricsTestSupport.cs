using Ferry.Gateway.Metrics;

namespace Ferry.Gateway.Tests.Metrics;

internal static class MetricsTestSupport
{
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A meter name no other test listens to, so parallel tests never see each other's instruments.</summary>
    public static string UniqueMeterName() => $"Test.{Guid.NewGuid():N}";

    public static PrometheusExporter Exporter(string meterPrefix, int maxSeries = 2000) =>
        new(new MetricsOptions { MeterPrefixes = [meterPrefix], MaxSeriesPerInstrument = maxSeries });

    public static async Task<string> ScrapeAsync(PrometheusExporter exporter)
    {
        using var writer = new StringWriter();
        await exporter.WriteAsync(writer).WaitAsync(TestTimeout);
        var text = writer.ToString();
        StrictPrometheusParser.Parse(text);
        return text;
    }
}
