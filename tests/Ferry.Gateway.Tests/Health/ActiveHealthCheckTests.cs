using System.Diagnostics;
using Ferry.Gateway.Config;
using Ferry.Grpc;
using Microsoft.Extensions.Logging;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Ferry.Gateway.Tests.Health;

/// <summary>
/// Active health checks end to end: two real backends with controllable health services behind a real gateway.
/// Which backend served a call is counted at the backend; verdicts are awaited by polling with a timeout.
/// </summary>
public sealed class ActiveHealthCheckTests : IAsyncLifetime
{
    private const int Calls = 20;

    private static readonly ActiveHealthConfig Active = new()
    {
        Interval = TimeSpan.FromMilliseconds(300),
        Timeout = TimeSpan.FromMilliseconds(250),
        HealthyThreshold = 1,
        UnhealthyThreshold = 2,
        Service = "grpc.testing.TestService",
    };

    private HealthBackend _a = null!;
    private HealthBackend _b = null!;
    private HealthTestGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        _a = await HealthBackend.StartAsync();
        _b = await HealthBackend.StartAsync();
        _gateway = await HealthTestGateway.StartAsync(HealthTestGateway.ClusterOf([_a, _b], Active));

        // Start from a steady state: the first checks pay for connecting and JIT compilation.
        await HealthTestTimeouts.WaitUntilAsync(
            () => _a.Health.Checks >= 3 && _b.Health.Checks >= 3 && _gateway.Cluster.Endpoints.All(e => e.ActiveHealthy),
            "both backends were checked and found healthy");
        _gateway.Logs.Clear();
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        Assert.DoesNotContain(_gateway.Logs.Entries, e => e.Level >= LogLevel.Error && e.Category.StartsWith("Ferry.Gateway.Health", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ChecksEveryEndpointWithTheConfiguredService()
    {
        await HealthTestTimeouts.WaitUntilAsync(() => _a.Health.Checks >= 3 && _b.Health.Checks >= 3, "both backends were checked several times");

        Assert.Equal("grpc.testing.TestService", _a.Health.LastService);
        Assert.Equal("grpc.testing.TestService", _b.Health.LastService);
        Assert.All(_gateway.Cluster.Endpoints, e => Assert.True(e.ActiveHealthy));
    }

    [Fact]
    public async Task AnEndpointReportingNotServingIsTakenOutAndBroughtBackWhenServingAgain()
    {
        _a.Health.Status = ServingStatus.NotServing;
        var unhealthy = await _gateway.WaitForVerdictAsync(_a, healthy: false);
        Assert.Equal(LogLevel.Warning, unhealthy.Level);
        Assert.Contains(_a.Address, unhealthy.Message, StringComparison.Ordinal);
        Assert.Contains("NOT_SERVING", unhealthy.Message, StringComparison.Ordinal);
        Assert.True(_gateway.EndpointOf(_b).ActiveHealthy);

        var (servedByA, servedByB) = await CallAndCountAsync();
        Assert.Equal(0, servedByA);
        Assert.Equal(Calls, servedByB);
        Assert.Equal((0, "unhealthy"), await _gateway.ScrapeEndpointHealthyAsync(_a));
        Assert.Equal((1, "healthy"), await _gateway.ScrapeEndpointHealthyAsync(_b));

        _a.Health.Status = ServingStatus.Serving;
        var healthy = await _gateway.WaitForVerdictAsync(_a, healthy: true);
        Assert.Equal(LogLevel.Information, healthy.Level);
        (servedByA, servedByB) = await CallAndCountAsync();
        Assert.Equal(Calls, servedByA + servedByB);
        Assert.True(servedByA > 0, "A takes calls again");
        Assert.Equal((1, "healthy"), await _gateway.ScrapeEndpointHealthyAsync(_a));
    }

    [Fact]
    public async Task AnEndpointAnsweringServiceUnknownIsTakenOut()
    {
        _b.Health.Status = ServingStatus.ServiceUnknown;

        Assert.Contains("SERVICE_UNKNOWN", (await _gateway.WaitForVerdictAsync(_b, healthy: false)).Message, StringComparison.Ordinal);
        Assert.True(_gateway.EndpointOf(_a).ActiveHealthy);
    }

    [Fact]
    public async Task AnEndpointThatStopsListeningGoesUnhealthyWithConnectionRefused()
    {
        await _a.StopAsync();

        Assert.Contains("connection refused", (await _gateway.WaitForVerdictAsync(_a, healthy: false)).Message, StringComparison.Ordinal);
        var (_, servedByB) = await CallAndCountAsync();
        Assert.Equal(Calls, servedByB);
        Assert.Equal((0, "unhealthy"), await _gateway.ScrapeEndpointHealthyAsync(_a));
    }

    [Fact]
    public async Task AnEndpointAnsweringTooSlowlyGoesUnhealthyWithTimeout()
    {
        _a.Health.Delay = TimeSpan.FromSeconds(30);

        Assert.Contains("timeout", (await _gateway.WaitForVerdictAsync(_a, healthy: false)).Message, StringComparison.Ordinal);

        _a.Health.Delay = TimeSpan.Zero;
        await _gateway.WaitForVerdictAsync(_a, healthy: true);
    }

    [Fact]
    public async Task WhenAllEndpointsAreDownCallsFailFastAndTheGatewayReportsTheClusterNotServing()
    {
        Assert.Equal(ServingStatus.Serving, await _gateway.CheckAsync(""));
        Assert.Equal(ServingStatus.Serving, await _gateway.CheckAsync(HealthTestGateway.ClusterName));

        _a.Health.Status = ServingStatus.NotServing;
        _b.Health.Status = ServingStatus.NotServing;
        await HealthTestTimeouts.WaitUntilAsync(() => _gateway.Cluster.Endpoints.All(e => !e.ActiveHealthy), "both endpoints are taken out");

        var stopwatch = Stopwatch.StartNew();
        var status = await _gateway.CallAsync();
        stopwatch.Stop();
        Assert.Equal(StatusCode.Unavailable, status.StatusCode);
        Assert.Contains("No healthy endpoint", status.Detail, StringComparison.Ordinal);
        Assert.Contains("2 failing health checks", status.Detail, StringComparison.Ordinal);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), $"The call took {stopwatch.Elapsed}: it should fail at once, not wait for its deadline.");
        Assert.Equal(0, _a.Calls + _b.Calls);

        Assert.Equal(ServingStatus.Serving, await _gateway.CheckAsync(""));
        Assert.Equal(ServingStatus.NotServing, await _gateway.CheckAsync(HealthTestGateway.ClusterName));
        Assert.Equal((0, "unhealthy"), await _gateway.ScrapeEndpointHealthyAsync(_a));
        Assert.Equal((0, "unhealthy"), await _gateway.ScrapeEndpointHealthyAsync(_b));

        _b.Health.Status = ServingStatus.Serving;
        await HealthTestTimeouts.WaitUntilAsync(
            async () => await _gateway.CheckAsync(HealthTestGateway.ClusterName) == ServingStatus.Serving,
            "the gateway reports the cluster serving again");
        Assert.Equal(StatusCode.OK, (await _gateway.CallAsync()).StatusCode);
    }

    [Fact]
    public async Task AReloadThatKeepsTheClusterKeepsItsChecksAndVerdicts()
    {
        _a.Health.Status = ServingStatus.NotServing;
        await HealthTestTimeouts.WaitUntilAsync(() => !_gateway.EndpointOf(_a).ActiveHealthy, "A is taken out");
        var cluster = _gateway.Cluster;

        _gateway.Host.Apply(HealthTestGateway.ConfigOf(HealthTestGateway.ClusterOf([_a, _b], Active)) with { Source = "reloaded" });

        Assert.Same(cluster, _gateway.Cluster);
        Assert.False(_gateway.EndpointOf(_a).ActiveHealthy);
        _a.Health.Status = ServingStatus.Serving;
        await HealthTestTimeouts.WaitUntilAsync(() => _gateway.EndpointOf(_a).ActiveHealthy, "the carried-over checks bring A back");
        Assert.Empty(_gateway.Logs.Of(303));
        Assert.Empty(_gateway.Logs.Of(304));
    }

    [Fact]
    public async Task AReloadThatDropsActiveChecksStopsThem()
    {
        await HealthTestTimeouts.WaitUntilAsync(() => _a.Health.Checks > 0 && _b.Health.Checks > 0, "both backends were checked");

        _gateway.Host.Apply(HealthTestGateway.ConfigOf(HealthTestGateway.ClusterOf([_a, _b], active: null)));
        await HealthTestTimeouts.WaitUntilAsync(() => _gateway.Logs.Of(304).Any(), "the old cluster's checks stop");
        var checks = _a.Health.Checks + _b.Health.Checks;

        // A negative check needs time to pass: ten intervals without a single new check.
        await Task.Delay(Active.Interval * 10);
        Assert.Equal(checks, _a.Health.Checks + _b.Health.Checks);
        Assert.Equal(StatusCode.OK, (await _gateway.CallAsync()).StatusCode);
    }

    private async Task<(int ServedByA, int ServedByB)> CallAndCountAsync()
    {
        var (a, b) = (_a.Calls, _b.Calls);
        for (var i = 0; i < Calls; i++)
        {
            var status = await _gateway.CallAsync();
            Assert.Equal(StatusCode.OK, status.StatusCode);
        }

        return (_a.Calls - a, _b.Calls - b);
    }
}
