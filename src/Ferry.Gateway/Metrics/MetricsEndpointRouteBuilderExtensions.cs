using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.Gateway.Metrics;

public static class MetricsEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Serves the metrics chosen by <c>AddFerryMetrics</c> on <c>GET <paramref name="path"/></c> in the Prometheus text
    /// format (<c>text/plain; version=0.0.4</c>). Use the returned builder to restrict it (host, authorization).
    /// </summary>
    public static IEndpointConventionBuilder MapPrometheusMetrics(this IEndpointRouteBuilder endpoints, string path = "/metrics")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var exporter = endpoints.ServiceProvider.GetService<PrometheusExporter>()
            ?? throw new InvalidOperationException(
                $"{nameof(MapPrometheusMetrics)} needs the exporter: call services.{nameof(MetricsServiceCollectionExtensions.AddFerryMetrics)}() first.");

        RequestDelegate scrape = async context =>
        {
            context.Response.ContentType = PrometheusExporter.ContentType;
            context.Response.Headers.CacheControl = "no-store";
            await exporter.WriteAsync(context.Response.Body, context.RequestAborted);
        };
        return endpoints.MapGet(path, scrape).WithDisplayName("Prometheus metrics");
    }
}
