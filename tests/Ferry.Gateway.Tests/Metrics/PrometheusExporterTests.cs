using System.Diagnostics.Metrics;
using Ferry.Gateway.Metrics;
using static Ferry.Gateway.Tests.Metrics.MetricsTestSupport;

namespace Ferry.Gateway.Tests.Metrics;

public sealed class PrometheusExporterTests
{
    [Fact]
    public async Task RendersEachInstrumentKindExactly()
    {
        var meterName = UniqueMeterName();
        using var exporter = Exporter(meterName);
        using var meter = new Meter(meterName);

        var requests = meter.CreateCounter<long>("test.requests", "{request}", "Requests handled.");
        requests.Add(3, new("route", "a"), new("status", "ok"));
        requests.Add(2, new("status", "ok"), new("route", "a"));
        requests.Add(1, new("route", "b"), new("status", "error"));

        var active = meter.CreateUpDownCounter<int>("test.active", "{connection}");
        active.Add(5);
        active.Add(-2);

        meter.CreateObservableGauge("test.load", () => 0.25, "1", "Share of capacity in use.");
        meter.CreateObservableCounter(
            "test.cpu.time", () => new Measurement<double>(1.5, new KeyValuePair<string, object?>("cpu.mode", "user")), "s", "CPU time.");

        var duration = meter.CreateHistogram<double>(
            "test.duration", "s", "Call duration.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.125, 1] });
        duration.Record(0.0625, new KeyValuePair<string, object?>("route", "a"));
        duration.Record(0.125, new KeyValuePair<string, object?>("route", "a"));
        duration.Record(3, new KeyValuePair<string, object?>("route", "a"));

        var temperature = meter.CreateGauge<double>("test.temperature", "Cel");
        temperature.Record(21.5);
        temperature.Record(20);

        var text = await ScrapeAsync(exporter);

        Assert.Equal(
            """
            # TYPE test_active gauge
            test_active 3
            # HELP test_cpu_time_seconds_total CPU time.
            # TYPE test_cpu_time_seconds_total counter
            test_cpu_time_seconds_total{cpu_mode="user"} 1.5
            # HELP test_duration_seconds Call duration.
            # TYPE test_duration_seconds histogram
            test_duration_seconds_bucket{route="a",le="0.125"} 2
            test_duration_seconds_bucket{route="a",le="1"} 2
            test_duration_seconds_bucket{route="a",le="+Inf"} 3
            test_duration_seconds_sum{route="a"} 3.1875
            test_duration_seconds_count{route="a"} 3
            # HELP test_load_ratio Share of capacity in use.
            # TYPE test_load_ratio gauge
            test_load_ratio 0.25
            # HELP test_requests_total Requests handled.
            # TYPE test_requests_total counter
            test_requests_total{route="a",status="ok"} 5
            test_requests_total{route="b",status="error"} 1
            # TYPE test_temperature_celsius gauge
            test_temperature_celsius 20

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public async Task EscapesHelpAndLabelValues()
    {
        var meterName = UniqueMeterName();
        using var exporter = Exporter(meterName);
        using var meter = new Meter(meterName);

        var counter = meter.CreateCounter<long>("test.escape", unit: null, description: "Line one\nback\\slash \"quoted\"");
        counter.Add(1, new("path", "a\"b\\c\nd"), new("http.route", "/x"), new("code", 42), new("ok", true));

        var text = await ScrapeAsync(exporter);

        Assert.Equal(
            """
            # HELP test_escape_total Line one\nback\\slash "quoted"
            # TYPE test_escape_total counter
            test_escape_total{code="42",http_route="/x",ok="true",path="a\"b\\c\nd"} 1

            """.ReplaceLineEndings("\n"),
            text);
        var family = Assert.Single(StrictPrometheusParser.Parse(text));
        Assert.Equal("Line one\nback\\slash \"quoted\"", family.Help);
        Assert.Equal("a\"b\\c\nd", Assert.Single(family.Samples).Labels["path"]);
    }

    [Fact]
    public async Task DefaultBucketsFollowTheUnit()
    {
        var meterName = UniqueMeterName();
        using var exporter = Exporter(meterName);
        using var meter = new Meter(meterName);

        meter.CreateHistogram<long>("test.size", "By").Record(100);
        meter.CreateHistogram<double>("test.latency", "s").Record(0.002);
        meter.CreateHistogram<double>("test.plain").Record(7);

        var families = StrictPrometheusParser.Parse(await ScrapeAsync(exporter)).ToDictionary(family => family.Name);

        Assert.Equal(
            ["64", "256", "1024", "4096", "16384", "65536", "262144", "1048576", "4194304", "16777216", "67108864", "+Inf"],
            Bounds(families["test_size_bytes"]));
        Assert.Equal(
            ["0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1", "2.5", "5", "7.5", "10", "+Inf"],
            Bounds(families["test_latency_seconds"]));
        Assert.Equal(
            ["0", "5", "10", "25", "50", "75", "100", "250", "500", "750", "1000", "2500", "5000", "7500", "10000", "+Inf"],
            Bounds(families["test_plain"]));
        var bytesBuckets = families["test_size_bytes"].Samples.Where(sample => sample.Name == "test_size_bytes_bucket").ToList();
        Assert.Equal(0, bytesBuckets[0].Value);
        Assert.Equal(1, bytesBuckets[1].Value);

        static string[] Bounds(StrictPrometheusParser.Family family) =>
            [.. family.Samples.Where(sample => sample.Labels.ContainsKey("le")).Select(sample => sample.Labels["le"])];
    }

    [Fact]
    public async Task ObservableSeriesNotReportedInAScrapeAreLeftOut()
    {
        var meterName = UniqueMeterName();
        using var exporter = Exporter(meterName);
        using var meter = new Meter(meterName);
        var pools = new List<string> { "a", "b" };
        meter.CreateObservableUpDownCounter(
            "test.pool.size",
            () => pools.Select(pool => new Measurement<int>(pool.Length * 10, new KeyValuePair<string, object?>("pool", pool))).ToList());

        Assert.Contains("test_pool_size{pool=\"b\"} 10", await ScrapeAsync(exporter));
        pools.Remove("b");
        var text = await ScrapeAsync(exporter);

        Assert.Contains("test_pool_size{pool=\"a\"} 10", text);
        Assert.DoesNotContain("pool=\"b\"", text);
    }

    [Fact]
    public async Task AFailingCallbackDoesNotSpoilTheScrape()
    {
        var meterName = UniqueMeterName();
        using var exporter = Exporter(meterName);
        using var meter = new Meter(meterName);
        meter.CreateObservableGauge("test.broken", (Func<int>)(() => throw new InvalidOperationException("broken callback")));
        meter.CreateObservableGauge("test.fine", () => 1);

        var text = await ScrapeAsync(exporter);

        Assert.Contains("test_fine 1", text);
        Assert.DoesNotContain("test_broken", text);
    }

    [Fact]
    public async Task SeriesBeyondTheLimitGoToTheOverflowSeries()
    {
        var meterName = UniqueMeterName();
        using var exporter = Exporter(meterName, maxSeries: 2);
        using var meter = new Meter(meterName);
        var counter = meter.CreateCounter<long>("test.calls");
        foreach (var peer in new[] { "a", "b", "c", "d", "a" })
        {
            counter.Add(1, new KeyValuePair<string, object?>("peer", peer));
        }

        var text = await ScrapeAsync(exporter);

        Assert.Equal(
            """
            # TYPE test_calls_total counter
            test_calls_total{otel_metric_overflow="true"} 2
            test_calls_total{peer="a"} 2
            test_calls_total{peer="b"} 1

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public async Task InstrumentsSharingANameAreMergedOrSkippedNeverDuplicated()
    {
        var meterName = UniqueMeterName();
        using var exporter = Exporter(meterName);
        using var first = new Meter(meterName);
        using var second = new Meter(meterName);
        first.CreateCounter<long>("test.calls").Add(2, new KeyValuePair<string, object?>("peer", "a"));
        second.CreateCounter<long>("test.calls").Add(3, new KeyValuePair<string, object?>("peer", "a"));
        first.CreateCounter<long>("test.errors").Add(1);
        second.CreateObservableGauge("test.errors.total", () => 9);

        var text = await ScrapeAsync(exporter);

        Assert.Equal(
            """
            # TYPE test_calls_total counter
            test_calls_total{peer="a"} 5
            # TYPE test_errors_total counter
            test_errors_total 1

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public async Task InstrumentsOfADisposedMeterDisappear()
    {
        var meterName = UniqueMeterName();
        using var exporter = Exporter(meterName);
        var meter = new Meter(meterName);
        meter.CreateCounter<long>("test.calls").Add(1);
        Assert.Contains("test_calls_total 1", await ScrapeAsync(exporter));

        meter.Dispose();

        Assert.Equal("", await ScrapeAsync(exporter));
    }

    [Fact]
    public async Task OnlySelectedMetersAreExported()
    {
        var meterName = UniqueMeterName();
        using var exporter = Exporter(meterName);
        using var selected = new Meter(meterName + ".Child");
        using var other = new Meter(meterName + "Other");
        selected.CreateCounter<long>("test.calls").Add(1);
        other.CreateCounter<long>("test.ignored").Add(1);

        var text = await ScrapeAsync(exporter);

        Assert.Contains("test_calls_total 1", text);
        Assert.DoesNotContain("test_ignored", text);
    }

    [Fact]
    public async Task FloatingPointAndDecimalCountersAdd()
    {
        var meterName = UniqueMeterName();
        using var exporter = Exporter(meterName);
        using var meter = new Meter(meterName);
        var seconds = meter.CreateCounter<double>("test.busy", "s");
        var parallel = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                seconds.Add(0.5);
            }
        }));
        await Task.WhenAll(parallel).WaitAsync(TestTimeout);
        meter.CreateCounter<decimal>("test.money", "$").Add(1.25m);
        meter.CreateCounter<float>("test.ratio").Add(0.5f);

        var text = await ScrapeAsync(exporter);

        Assert.Contains("test_busy_seconds_total 2000\n", text);
        Assert.Contains("test_money_dollars_total 1.25\n", text);
        Assert.Contains("test_ratio_total 0.5\n", text);
    }

    [Fact]
    public void InvalidOptionsAreRejectedWithEveryError()
    {
        var options = new MetricsOptions { MeterPrefixes = ["", "Ferry", "Ferry", "Ferry.*"], MaxSeriesPerInstrument = 0 };

        var errors = MetricsOptionsValidator.Errors(options);

        Assert.Equal(
            [
                "Metrics: MeterPrefixes[0] is empty.",
                "Metrics: MeterPrefixes[2] ('Ferry') repeats MeterPrefixes[1].",
                "Metrics: MeterPrefixes[3] ('Ferry.*') must be a meter name prefix, without spaces or wildcards.",
                "Metrics: MaxSeriesPerInstrument must be between 1 and 100000; it is 0.",
            ],
            errors);
        Assert.Throws<ArgumentException>(() => new PrometheusExporter(options));
        Assert.Single(MetricsOptionsValidator.Errors(new MetricsOptions { MeterPrefixes = [] }));
    }

    [Fact]
    public void DefaultsExportTheGatewayKestrelHttpClientAndRuntime()
    {
        Assert.Equal(
            ["Ferry", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "System.Runtime"],
            new MetricsOptions().MeterPrefixes);
        Assert.Empty(MetricsOptionsValidator.Errors(new MetricsOptions()));
    }
}
