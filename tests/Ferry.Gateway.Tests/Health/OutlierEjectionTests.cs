using Ferry.Gateway.Config;
using Ferry.Gateway.Upstream;
using Ferry.Grpc;

namespace Ferry.Gateway.Tests.Health;

/// <summary>
/// Passive outlier ejection: a backend answering UNAVAILABLE <c>consecutive_failures</c> times in a row is taken out
/// for <c>base_ejection</c>. The gateway's monotonic clock is moved by the test, so the ejection's length is exact.
/// </summary>
public sealed class OutlierEjectionTests
{
    private static readonly OutlierConfig Outlier = new()
    {
        ConsecutiveFailures = 3,
        BaseEjection = TimeSpan.FromMinutes(5),
        MaxEjection = TimeSpan.FromMinutes(30),
    };

    [Fact]
    public async Task ConsecutiveUnavailableFromABackendEjectsItForBaseEjection()
    {
        await using var a = await HealthBackend.StartAsync();
        await using var b = await HealthBackend.StartAsync();
        var clock = new AdjustableClock();
        await using var gateway = await HealthTestGateway.StartAsync(HealthTestGateway.ClusterOf([a, b], active: null, Outlier), clock);
        a.FailCalls = true;

        // Round robin alternates, so A sees every other call; one failure short of the threshold it still takes calls.
        for (var i = 0; i < 20 && a.Calls < Outlier.ConsecutiveFailures; i++)
        {
            var before = a.Calls;
            var status = await gateway.CallAsync();
            Assert.Equal(a.Calls > before ? StatusCode.Unavailable : StatusCode.OK, status.StatusCode);
            if (a.Calls == Outlier.ConsecutiveFailures - 1)
            {
                Assert.Equal(HealthState.Healthy, gateway.EndpointOf(a).State);
            }
        }

        Assert.Equal(Outlier.ConsecutiveFailures, a.Calls);
        Assert.Equal(HealthState.Ejected, gateway.EndpointOf(a).State);
        Assert.Equal((0, "ejected"), await gateway.ScrapeEndpointHealthyAsync(a));
        await AssertAllServedByAsync(gateway, b, a);

        // Still out shortly before base_ejection has passed (the margin covers real time passing meanwhile)...
        clock.Advance(Outlier.BaseEjection - TimeSpan.FromSeconds(30));
        Assert.Equal(HealthState.Ejected, gateway.EndpointOf(a).State);
        await AssertAllServedByAsync(gateway, b, a);

        // ...and back once it has.
        clock.Advance(TimeSpan.FromSeconds(31));
        a.FailCalls = false;
        Assert.Equal(HealthState.Healthy, gateway.EndpointOf(a).State);
        Assert.Equal((1, "healthy"), await gateway.ScrapeEndpointHealthyAsync(a));
        var servedBefore = a.Calls;
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(StatusCode.OK, (await gateway.CallAsync()).StatusCode);
        }

        Assert.True(a.Calls > servedBefore, "A takes calls again after its ejection");
    }

    [Fact]
    public async Task SuccessesBetweenFailuresKeepABackendIn()
    {
        await using var a = await HealthBackend.StartAsync();
        var clock = new AdjustableClock();
        await using var gateway = await HealthTestGateway.StartAsync(HealthTestGateway.ClusterOf([a], active: null, Outlier), clock);

        for (var round = 0; round < 3; round++)
        {
            a.FailCalls = true;
            for (var i = 0; i < Outlier.ConsecutiveFailures - 1; i++)
            {
                Assert.Equal(StatusCode.Unavailable, (await gateway.CallAsync()).StatusCode);
            }

            a.FailCalls = false;
            Assert.Equal(StatusCode.OK, (await gateway.CallAsync()).StatusCode);
        }

        Assert.Equal(HealthState.Healthy, gateway.EndpointOf(a).State);
    }

    [Fact]
    public async Task TheOnlyBackendEjectedMeansCallsFailFastWithUnavailable()
    {
        await using var a = await HealthBackend.StartAsync();
        await using var gateway = await HealthTestGateway.StartAsync(HealthTestGateway.ClusterOf([a], active: null, Outlier), new AdjustableClock());
        a.FailCalls = true;
        for (var i = 0; i < Outlier.ConsecutiveFailures; i++)
        {
            await gateway.CallAsync();
        }

        var status = await gateway.CallAsync();

        Assert.Equal(StatusCode.Unavailable, status.StatusCode);
        Assert.Contains("No healthy endpoint", status.Detail, StringComparison.Ordinal);
        Assert.Equal(Outlier.ConsecutiveFailures, a.Calls);
    }

    [Fact]
    public async Task CallsThatFailWhileTheBackendIsOutDoNotEjectItAgain()
    {
        // A lost connection fails every call on it at once: nine failures, one incident, one ejection of base length.
        await using var a = await HealthBackend.StartAsync();
        var clock = new AdjustableClock();
        await using var gateway = await HealthTestGateway.StartAsync(HealthTestGateway.ClusterOf([a], active: null, Outlier), clock);
        var endpoint = gateway.EndpointOf(a);
        RecordFailures(endpoint, 3 * Outlier.ConsecutiveFailures);

        Assert.Equal(HealthState.Ejected, endpoint.State);
        clock.Advance(Outlier.BaseEjection + TimeSpan.FromSeconds(1));
        Assert.Equal(HealthState.Healthy, endpoint.State);
    }

    [Fact]
    public async Task AnEjectionDoublesWhileTheBackendKeepsFailingAndReturnsToBaseAfterASuccess()
    {
        await using var a = await HealthBackend.StartAsync();
        var clock = new AdjustableClock();
        await using var gateway = await HealthTestGateway.StartAsync(HealthTestGateway.ClusterOf([a], active: null, Outlier), clock);
        var endpoint = gateway.EndpointOf(a);
        void Eject() => RecordFailures(endpoint, Outlier.ConsecutiveFailures);

        // Still failing when let back in: out for twice as long.
        Eject();
        clock.Advance(Outlier.BaseEjection + TimeSpan.FromSeconds(1));
        Eject();
        clock.Advance(Outlier.BaseEjection + TimeSpan.FromSeconds(1));
        Assert.Equal(HealthState.Ejected, endpoint.State);
        clock.Advance(Outlier.BaseEjection);
        Assert.Equal(HealthState.Healthy, endpoint.State);

        // A call that went well in between: the next ejection is of base length again.
        Assert.Equal(StatusCode.OK, (await gateway.CallAsync()).StatusCode);
        Eject();
        clock.Advance(Outlier.BaseEjection + TimeSpan.FromSeconds(1));
        Assert.Equal(HealthState.Healthy, endpoint.State);
    }

    private static void RecordFailures(EndpointState endpoint, int count)
    {
        for (var i = 0; i < count; i++)
        {
            endpoint.RecordFailure();
        }
    }

    private static async Task AssertAllServedByAsync(HealthTestGateway gateway, HealthBackend serving, HealthBackend ejected)
    {
        var (servingBefore, ejectedBefore) = (serving.Calls, ejected.Calls);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(StatusCode.OK, (await gateway.CallAsync()).StatusCode);
        }

        Assert.Equal(servingBefore + 10, serving.Calls);
        Assert.Equal(ejectedBefore, ejected.Calls);
    }
}
