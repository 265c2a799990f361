using Ferry.Gateway.Config;
using Ferry.Gateway.Health;
using Ferry.Gateway.Runtime;
using Ferry.Gateway.Upstream;
using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Tests.Health;

/// <summary>
/// The checker's bookkeeping, on a runtime without a network: intervals are long enough that no check fires, so
/// what is tested is which clusters have checks, when they start, and that stopping ends them.
/// </summary>
public sealed class ActiveHealthCheckerTests
{
    private static readonly TimeSpan LongInterval = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task SpreadsTheFirstChecksOverTheInterval()
    {
        var timers = new RecordingTimers();
        var config = Config(Cluster("a", endpoints: 20, Active(LongInterval)));
        using var runtime = new GatewayRuntime(config, TcpUpstreamConnector.Instance, timers, new Random(1));
        var checker = new ActiveHealthChecker(runtime, timers, new Random(7), new RecordingLogger());

        await checker.StartAsync(CancellationToken.None);
        await HealthTestTimeouts.WaitUntilAsync(() => timers.DueTimes.Count == 20, "every endpoint waits for its first check");
        await checker.StopAsync(CancellationToken.None).WaitAsync(HealthTestTimeouts.Default);

        var delays = timers.DueTimes.ToArray();
        Assert.All(delays, d => Assert.InRange(d, TimeSpan.Zero, LongInterval));
        Assert.Equal(delays.Length, delays.Distinct().Count());
        Assert.True(delays.Max() - delays.Min() > LongInterval / 2, $"First checks bunched together: {string.Join(", ", delays)}");
    }

    [Fact]
    public async Task ChecksOnlyClustersWithActiveHealthConfigured()
    {
        var logger = new RecordingLogger();
        var config = Config(Cluster("a", endpoints: 2, Active(LongInterval)), Cluster("b", endpoints: 2, active: null));
        using var runtime = new GatewayRuntime(config, TcpUpstreamConnector.Instance, TimeProvider.System, new Random(1));
        var checker = new ActiveHealthChecker(runtime, TimeProvider.System, new Random(1), logger);

        await checker.StartAsync(CancellationToken.None);
        await checker.StopAsync(CancellationToken.None).WaitAsync(HealthTestTimeouts.Default);

        Assert.Equal(["started a", "stopped a"], logger.Lifecycle());
    }

    [Fact]
    public async Task FollowsReloadsKeepingTheChecksOfAClusterThatWasCarriedOver()
    {
        var logger = new RecordingLogger();
        var a = Cluster("a", endpoints: 2, Active(LongInterval));
        var b = Cluster("b", endpoints: 1, active: null);
        using var runtime = new GatewayRuntime(Config(a, b), TcpUpstreamConnector.Instance, TimeProvider.System, new Random(1));
        var checker = new ActiveHealthChecker(runtime, TimeProvider.System, new Random(1), logger);
        await checker.StartAsync(CancellationToken.None);
        var original = runtime.Current.Clusters["a"];

        // Unchanged cluster, other routes: the same ClusterState, so the same checks (and their counts) go on.
        runtime.Apply(Config(a, b) with { AccessLog = new AccessLogConfig { Enabled = false } });
        Assert.Same(original, runtime.Current.Clusters["a"]);
        Assert.Equal(["started a"], logger.Lifecycle());

        // Changed settings make a new ClusterState: the old one's checks stop, the new one's start.
        runtime.Apply(Config(a with { Health = new HealthConfig { Active = Active(LongInterval * 2) } }, b));
        await HealthTestTimeouts.WaitUntilAsync(() => logger.Lifecycle().Count == 3, "the replaced cluster's checks stop");
        Assert.Equal(["started a", "started a", "stopped a"], logger.Lifecycle().Order());

        // Active checks added to b, removed from a.
        runtime.Apply(Config(a with { Health = new HealthConfig() }, b with { Health = new HealthConfig { Active = Active(LongInterval) } }));
        await HealthTestTimeouts.WaitUntilAsync(() => logger.Lifecycle().Count == 5, "a's checks stop and b's start");
        Assert.Equal(["started a", "started a", "started b", "stopped a", "stopped a"], logger.Lifecycle().Order());

        await checker.StopAsync(CancellationToken.None).WaitAsync(HealthTestTimeouts.Default);
        Assert.Equal("stopped b", logger.Lifecycle()[^1]);

        // After stopping, reloads start nothing.
        runtime.Apply(Config(a, b));
        Assert.Equal(6, logger.Lifecycle().Count);
        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Error);
    }

    internal static ActiveHealthConfig Active(TimeSpan interval) => new()
    {
        Interval = interval,
        Timeout = TimeSpan.FromSeconds(1),
    };

    private static ClusterConfig Cluster(string name, int endpoints, ActiveHealthConfig? active) => new()
    {
        Name = name,
        Endpoints = [.. Enumerable.Range(1, endpoints).Select(i => new EndpointConfig { Address = $"127.0.0.1:{i}" })],
        Health = new HealthConfig { Active = active },
    };

    private static GatewayConfig Config(params ClusterConfig[] clusters) => new()
    {
        Source = "test",
        Listeners =
        [
            new ListenerConfig
            {
                Name = "main",
                Address = "127.0.0.1:0",
                Routes = [.. clusters.Select(c => new RouteConfig { Name = c.Name, Cluster = c.Name, Match = new RouteMatchConfig { Service = c.Name } })],
            },
        ],
        Clusters = clusters,
    };

    private sealed class RecordingLogger : ILogger
    {
        public System.Collections.Concurrent.ConcurrentQueue<(LogLevel Level, EventId EventId, string? Cluster)> Entries { get; } = new();

        /// <summary>"started a" / "stopped a" for each cluster whose checks started or stopped, in order.</summary>
        public List<string> Lifecycle() => Entries
            .Where(e => e.EventId.Id is 303 or 304)
            .Select(e => (e.EventId.Id == 303 ? "started " : "stopped ") + e.Cluster)
            .ToList();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, eventId, (state as IReadOnlyList<KeyValuePair<string, object?>>)?.FirstOrDefault(p => p.Key == "Cluster").Value as string));
    }
}
