using Microsoft.Extensions.Hosting;

namespace Ferry.Gateway.Metrics;

/// <summary>Creates the exporter when the host starts, so it listens from then on rather than from the first scrape.</summary>
internal sealed class MetricsStartup(PrometheusExporter exporter) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(exporter);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
