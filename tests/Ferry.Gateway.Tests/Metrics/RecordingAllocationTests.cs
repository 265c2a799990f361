using System.Diagnostics;
using System.Diagnostics.Metrics;
using static Ferry.Gateway.Tests.Metrics.MetricsTestSupport;

namespace Ferry.Gateway.Tests.Metrics;

/// <summary>
/// Recording on an existing series must not allocate: the gateway records on every call. Measured with the calling
/// thread's allocation counter, not with time, so the test is exact and immune to a loaded machine.
/// </summary>
public sealed class RecordingAllocationTests
{
    private const int Measurements = 100_000;

    // Room for a stray one-off allocation by the runtime (a tiered JIT stub, a lazily created cache), far below the
    // ~3 MB that even one 32-byte allocation per measurement would add up to.
    private const long AllowedBytes = 1024;

    private static readonly string Route = "/ferry.Echo/Say";
    private static readonly string Status = "OK";
    private static readonly string Cluster = "backend";

    [Fact]
    public async Task CounterWithTwoTags()
    {
        var meterName = UniqueMeterName();
        using var exporter = Exporter(meterName);
        using var meter = new Meter(meterName);
        var counter = meter.CreateCounter<long>("test.calls");
        var route = new KeyValuePair<string, object?>("route", Route);
        var status = new KeyValuePair<string, object?>("status", Status);

        var allocated = Measure(() => counter.Add(1, route, status));

        Assert.True(allocated <= AllowedBytes, $"{allocated} bytes allocated by {Measurements} measurements.");
        Assert.Contains($"test_calls_total{{route=\"{Route}\",status=\"OK\"}} {2 * Measurements}", await ScrapeAsync(exporter));
    }

    [Fact]
    public async Task CounterWhoseTagsArriveInAnotherOrder()
    {
        var meterName = UniqueMeterName();
        using var exporter = Exporter(meterName);
        using var meter = new Meter(meterName);
        var counter = meter.CreateCounter<long>("test.calls");
        var route = new KeyValuePair<string, object?>("route", Route);
        var status = new KeyValuePair<string, object?>("status", Status);
        counter.Add(1, route, status);

        var allocated = Measure(() => counter.Add(1, status, route));

        Assert.True(allocated <= AllowedBytes, $"{allocated} bytes allocated by {Measurements} measurements.");
        Assert.Contains($"test_calls_total{{route=\"{Route}\",status=\"OK\"}} {2 * Measurements + 1}", await ScrapeAsync(exporter));
    }

    [Fact]
    public async Task HistogramWithThreeTags()
    {
        var meterName = UniqueMeterName();
        using var exporter = Exporter(meterName);
        using var meter = new Meter(meterName);
        var histogram = meter.CreateHistogram<double>("test.duration", "s");
        var route = new KeyValuePair<string, object?>("route", Route);
        var status = new KeyValuePair<string, object?>("status", Status);
        var cluster = new KeyValuePair<string, object?>("cluster", Cluster);

        var allocated = Measure(() => histogram.Record(0.003, route, status, cluster));

        Assert.True(allocated <= AllowedBytes, $"{allocated} bytes allocated by {Measurements} measurements.");
        Assert.Contains($"test_duration_seconds_count{{cluster=\"backend\",route=\"{Route}\",status=\"OK\"}} {2 * Measurements}", await ScrapeAsync(exporter));
    }

    [Fact]
    public async Task FloatingPointUpDownCounterWithATagList()
    {
        var meterName = UniqueMeterName();
        using var exporter = Exporter(meterName);
        using var meter = new Meter(meterName);
        var counter = meter.CreateUpDownCounter<double>("test.inflight");
        var tags = new TagList
        {
            { "route", Route },
            { "status", Status },
            { "cluster", Cluster },
            { "listener", "public" },
            { "protocol", "h2" },
        };

        var allocated = Measure(() => counter.Add(0.5, tags));

        Assert.True(allocated <= AllowedBytes, $"{allocated} bytes allocated by {Measurements} measurements.");
        Assert.Contains($"test_inflight{{cluster=\"backend\",listener=\"public\",protocol=\"h2\",route=\"{Route}\",status=\"OK\"}} {Measurements}", await ScrapeAsync(exporter));
    }

    [Fact]
    public async Task GaugeWithoutTags()
    {
        var meterName = UniqueMeterName();
        using var exporter = Exporter(meterName);
        using var meter = new Meter(meterName);
        var gauge = meter.CreateGauge<int>("test.depth");

        var allocated = Measure(() => gauge.Record(7));

        Assert.True(allocated <= AllowedBytes, $"{allocated} bytes allocated by {Measurements} measurements.");
        Assert.Contains("test_depth 7", await ScrapeAsync(exporter));
    }

    /// <summary>Records <see cref="Measurements"/> times to warm up (creating the series), then counts the next run.</summary>
    private static long Measure(Action record)
    {
        for (var i = 0; i < Measurements; i++)
        {
            record();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Measurements; i++)
        {
            record();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
