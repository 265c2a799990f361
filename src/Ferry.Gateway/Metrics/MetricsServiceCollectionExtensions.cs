using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Ferry.Gateway.Metrics;

public static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Prometheus exporter: a singleton that listens to the meters chosen by <see cref="MetricsOptions"/>
    /// from host start on. Serve it with <c>MapPrometheusMetrics</c>. The options are validated when the host starts.
    /// </summary>
    public static IServiceCollection AddFerryMetrics(this IServiceCollection services, Action<MetricsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddMetrics();
        var options = services.AddOptions<MetricsOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>());
        services.TryAddSingleton(provider => new PrometheusExporter(
            provider.GetRequiredService<IOptions<MetricsOptions>>().Value,
            provider.GetRequiredService<IMeterFactory>(),
            provider.GetRequiredService<ILogger<PrometheusExporter>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, MetricsStartup>());
        return services;
    }
}
