using Ferry.Gateway.Config;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;

namespace Ferry.Gateway.Tests.Faults;

/// <summary>Live reload: calls in flight finish on the config they started with; new calls take the new one.</summary>
public sealed class ReloadTests
{
    private const int Streams = 100;

    [Fact]
    public async Task A_reload_during_100_live_bidi_streams_keeps_them_working_and_routes_new_calls_anew()
    {
        await using var before = await TestBackend.StartAsync("before");
        await using var after = await TestBackend.StartAsync("after");
        var oldConfig = GatewayConfigs.Single(GatewayConfigs.Cluster("old", before));
        await using var gateway = await TestGateway.StartAsync(oldConfig);

        var calls = new List<AsyncDuplexStreamingCall<ProbeRequest, ProbeReply>>();
        try
        {
            for (var i = 0; i < Streams; i++)
            {
                calls.Add(gateway.Client.Duplex());
            }

            await Task.WhenAll(calls.Select((call, i) => PingAsync(call, i, "before"))).WaitAsync(TestTimeouts.Default);

            // The route now points at another cluster; the old cluster is retired once its last call ends.
            gateway.Host.Apply(oldConfig with
            {
                Clusters = [GatewayConfigs.Cluster("new", after)],
                Listeners = [oldConfig.Listeners[0] with { Routes = [new RouteConfig { Name = "all", Cluster = "new" }] }],
            });

            var fresh = await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default);
            Assert.Equal("after", fresh.Backend);

            // Every old stream still works, on its old backend, and ends OK.
            await Task.WhenAll(calls.Select((call, i) => PingAsync(call, Streams + i, "before"))).WaitAsync(TestTimeouts.Default);
            await Task.WhenAll(calls.Select(CompleteAsync)).WaitAsync(TestTimeouts.Default);
            Assert.All(calls, call => Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode));

            // And with the old cluster gone, new streams keep going to the new one.
            using var stream = gateway.Client.Duplex();
            await PingAsync(stream, 0, "after").WaitAsync(TestTimeouts.Default);
            await CompleteAsync(stream).WaitAsync(TestTimeouts.Default);
            Assert.Equal(Streams, before.Probe.Calls);
            Assert.Equal(2, after.Probe.Calls);
        }
        finally
        {
            foreach (var call in calls)
            {
                call.Dispose();
            }
        }
    }

    [Fact]
    public async Task An_invalid_config_is_refused_and_the_running_one_stays()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var config = GatewayConfigs.Single(GatewayConfigs.Cluster("c", backend));
        await using var gateway = await TestGateway.StartAsync(config);

        using var call = gateway.Client.Duplex();
        await PingAsync(call, 1, "a").WaitAsync(TestTimeouts.Default);

        var invalid = config with { Listeners = [config.Listeners[0] with { Routes = [new RouteConfig { Name = "all", Cluster = "missing" }] }] };
        Assert.ThrowsAny<Exception>(() => gateway.Host.Apply(invalid));

        await PingAsync(call, 2, "a").WaitAsync(TestTimeouts.Default);
        Assert.Equal("a", (await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default)).Backend);
        await CompleteAsync(call).WaitAsync(TestTimeouts.Default);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    private static async Task PingAsync(AsyncDuplexStreamingCall<ProbeRequest, ProbeReply> call, int sequence, string backend)
    {
        await call.RequestStream.WriteAsync(new ProbeRequest { Sequence = sequence });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(sequence, call.ResponseStream.Current.Sequence);
        Assert.Equal(backend, call.ResponseStream.Current.Backend);
    }

    private static async Task CompleteAsync(AsyncDuplexStreamingCall<ProbeRequest, ProbeReply> call)
    {
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
    }
}
