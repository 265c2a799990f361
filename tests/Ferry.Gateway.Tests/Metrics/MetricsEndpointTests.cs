using System.Diagnostics.Metrics;
using System.Net;
using Ferry.Gateway.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static Ferry.Gateway.Tests.Metrics.MetricsTestSupport;

namespace Ferry.Gateway.Tests.Metrics;

public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task ServesPrometheusTextWithKestrelMetrics()
    {
        var meterName = UniqueMeterName();
        await using var app = await MetricsTestApp.StartAsync(options =>
            options.MeterPrefixes = [meterName, "Microsoft.AspNetCore.Server.Kestrel"]);
        using var meter = new Meter(meterName);
        meter.CreateCounter<long>("test.requests", "{request}", "Requests handled.").Add(1, new KeyValuePair<string, object?>("route", "a"));

        using var response = await app.Client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var families = StrictPrometheusParser.Parse(await response.Content.ReadAsStringAsync()).ToDictionary(family => family.Name);
        var requests = Assert.Single(families["test_requests_total"].Samples);
        Assert.Equal(1, requests.Value);
        Assert.Equal("a", requests.Labels["route"]);
        var connections = Assert.Single(families["kestrel_active_connections"].Samples);
        Assert.Equal("gauge", families["kestrel_active_connections"].Type);
        Assert.Equal(1, connections.Value);
        Assert.Equal("127.0.0.1", connections.Labels["server_address"]);
        Assert.Equal(app.Address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), connections.Labels["server_port"]);
    }

    [Fact]
    public async Task ExportsMetersOfItsOwnContainerNotOfAnother()
    {
        var meterName = UniqueMeterName();
        await using var app = await MetricsTestApp.StartAsync(options => options.MeterPrefixes = [meterName]);
        using var otherContainer = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var own = app.Services.GetRequiredService<IMeterFactory>().Create(meterName);
        var foreign = otherContainer.GetRequiredService<IMeterFactory>().Create(meterName);
        own.CreateCounter<long>("test.own").Add(1);
        foreign.CreateCounter<long>("test.foreign").Add(1);

        var text = await app.Client.GetStringAsync("/metrics");

        Assert.Equal("# TYPE test_own_total counter\ntest_own_total 1\n", text);
    }

    [PythonPrometheusClientFact]
    public async Task TheOfficialPythonParserReadsTheScrape()
    {
        var meterName = UniqueMeterName();
        await using var app = await MetricsTestApp.StartAsync(options =>
            options.MeterPrefixes = [meterName, "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime"]);
        using var meter = new Meter(meterName);
        meter.CreateCounter<long>("test.requests", "{request}", "Requests \"handled\"\nby route.")
            .Add(2, new("route", "a\"b\\c\nd"), new("http.method", "GET"));
        var duration = meter.CreateHistogram<double>("test.duration", "s", "Call duration.");
        duration.Record(0.003, new KeyValuePair<string, object?>("route", "a"));
        duration.Record(2, new KeyValuePair<string, object?>("route", "a"));
        meter.CreateObservableGauge("test.load", () => 0.5, "1");

        var families = (await PythonPrometheusClient.ParseAsync(await app.Client.GetStringAsync("/metrics"))).ToDictionary(family => family.Name);

        var requests = families["test_requests"];
        Assert.Equal("counter", requests.Type);
        Assert.Equal("Requests \"handled\"\nby route.", requests.Help);
        var sample = Assert.Single(requests.Samples);
        Assert.Equal("test_requests_total", sample.Name);
        Assert.Equal("2.0", sample.Value);
        Assert.Equal(new Dictionary<string, string> { ["http_method"] = "GET", ["route"] = "a\"b\\c\nd" }, sample.Labels);

        var histogram = families["test_duration_seconds"];
        Assert.Equal("histogram", histogram.Type);
        Assert.Equal("2.0", histogram.Samples.Single(s => s.Name == "test_duration_seconds_count").Value);
        Assert.Equal("1.0", histogram.Samples.Single(s => s.Name == "test_duration_seconds_bucket" && s.Labels["le"] == "0.005").Value);
        Assert.Equal("2.0", histogram.Samples.Single(s => s.Name == "test_duration_seconds_bucket" && s.Labels["le"] == "+Inf").Value);

        Assert.Equal("gauge", families["test_load_ratio"].Type);
        Assert.Equal("gauge", families["kestrel_active_connections"].Type);
        Assert.Contains(families.Keys, name => name.StartsWith("dotnet_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task InvalidOptionsStopTheHostWithEveryError()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddFerryMetrics(options =>
        {
            options.MeterPrefixes.Clear();
            options.MaxSeriesPerInstrument = -1;
        });
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync().WaitAsync(TestTimeout));

        Assert.Equal(2, error.Failures.Count());
    }

    [Fact]
    public void MappingWithoutTheExporterExplainsWhatIsMissing()
    {
        var builder = WebApplication.CreateSlimBuilder();
        var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapPrometheusMetrics());

        Assert.Contains("AddFerryMetrics", error.Message);
    }
}
