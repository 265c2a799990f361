using System.Net;
using Ferry.Gateway.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Tests.Metrics;

/// <summary>A real Kestrel on 127.0.0.1, port 0, serving <c>/metrics</c>; started and awaited, its address read back.</summary>
internal sealed class MetricsTestApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MetricsTestApp(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = MetricsTestSupport.TestTimeout };
    }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<MetricsTestApp> StartAsync(Action<MetricsOptions> configure)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddFerryMetrics(configure);
        var app = builder.Build();
        app.MapPrometheusMetrics();
        await app.StartAsync().WaitAsync(MetricsTestSupport.TestTimeout);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new MetricsTestApp(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync().WaitAsync(MetricsTestSupport.TestTimeout);
        await _app.DisposeAsync();
    }
}
