using Ferry.Gateway.Config;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Ferry.Grpc.Client;
using Google.Protobuf;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// Limits a "transparent" proxy must not add (WIRE-NOTES): no message size cap of its own, and no queueing behind
/// one HTTP/2 connection's concurrent-stream limit.
/// </summary>
public sealed class CapacityTests
{
    private const int Large = 10 * 1024 * 1024;

    [Fact]
    public async Task Messages_larger_than_4_MiB_pass_both_ways()
    {
        await using var backend = await TestBackend.StartAsync("a", configure: b => b.WithGrpcOptions(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024));
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));
        using var channel = gateway.CreateChannel(new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 });
        var payload = new byte[Large];
        payload[0] = 1;
        payload[^1] = 2;

        var reply = await new Probe.ProbeClient(channel).UnaryAsync(new ProbeRequest { Payload = ByteString.CopyFrom(payload) })
            .ResponseAsync.WaitAsync(TestTimeouts.Default);

        Assert.Equal(Large, reply.Payload.Length);
        Assert.Equal(1, reply.Payload[0]);
        Assert.Equal(2, reply.Payload[Large - 1]);
    }

    /// <summary>
    /// 150 calls open at once to one backend whose Kestrel allows 100 streams per connection: all 150 reach the
    /// backend while all are open (the gateway opens a second upstream connection instead of queueing 50).
    /// </summary>
    [Fact]
    public async Task More_open_calls_than_one_backend_connection_allows_all_reach_the_backend()
    {
        const int Calls = 150;
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));

        var calls = Enumerable.Range(0, Calls).Select(i => gateway.Client.UnaryAsync(new ProbeRequest { Action = "hold", Sequence = i })).ToList();
        try
        {
            var held = new List<HeldCall>();
            for (var i = 0; i < Calls; i++)
            {
                held.Add(await backend.Probe.NextHeldAsync());
            }

            foreach (var call in held)
            {
                call.Release.SetResult();
            }

            var replies = await Task.WhenAll(calls.Select(c => c.ResponseAsync)).WaitAsync(TestTimeouts.Default);
            Assert.Equal(Enumerable.Range(0, Calls), replies.Select(r => r.Sequence).Order());
        }
        finally
        {
            foreach (var call in calls)
            {
                call.Dispose();
            }
        }
    }

    /// <summary>
    /// With at most one connection per endpoint and a backend allowing 100 streams on it, the 101st call waits for a
    /// stream to end instead of dialing: a backend's small (or zero) stream limit cannot make the gateway open
    /// connections without bound. The waiting calls go through once streams end.
    /// </summary>
    [Fact]
    public async Task Calls_beyond_max_connections_wait_for_a_free_stream_and_then_pass()
    {
        const int Calls = 120;
        await using var backend = await TestBackend.StartAsync("a");
        var cluster = GatewayConfigs.Cluster("c", backend) with { Connection = new ConnectionConfig { MaxConnections = 1 } };
        await using var gateway = await TestGateway.StartAsync(cluster);

        var calls = Enumerable.Range(0, Calls).Select(i => gateway.Client.UnaryAsync(new ProbeRequest { Action = "hold", Sequence = i })).ToList();
        try
        {
            var held = new List<HeldCall>();
            for (var i = 0; i < 100; i++)
            {
                held.Add(await backend.Probe.NextHeldAsync());
            }

            // Proving an absence takes a wait: with a second connection the other 20 would arrive within milliseconds.
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            Assert.Equal(100, backend.Probe.Calls);

            foreach (var call in held)
            {
                call.Release.SetResult();
            }

            for (var i = 100; i < Calls; i++)
            {
                (await backend.Probe.NextHeldAsync()).Release.SetResult();
            }

            var replies = await Task.WhenAll(calls.Select(c => c.ResponseAsync)).WaitAsync(TestTimeouts.Default);
            Assert.Equal(Enumerable.Range(0, Calls), replies.Select(r => r.Sequence).Order());
        }
        finally
        {
            foreach (var call in calls)
            {
                call.Dispose();
            }
        }
    }

    /// <summary>
    /// An endpoint that stays full (every allowed connection at the backend's stream limit) for longer than the dial
    /// timeout fails the waiting call with UNAVAILABLE saying why, without backing the endpoint off: it works, it is busy.
    /// </summary>
    [Fact]
    public async Task A_call_waiting_longer_than_the_dial_timeout_for_a_free_stream_fails_with_unavailable()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var cluster = GatewayConfigs.Cluster("c", backend) with
        {
            Connection = new ConnectionConfig { MaxConnections = 1, DialTimeout = TimeSpan.FromMilliseconds(300) },
        };
        await using var gateway = await TestGateway.StartAsync(cluster);

        var calls = Enumerable.Range(0, 100).Select(i => gateway.Client.UnaryAsync(new ProbeRequest { Action = "hold", Sequence = i })).ToList();
        try
        {
            var held = new List<HeldCall>();
            for (var i = 0; i < 100; i++)
            {
                held.Add(await backend.Probe.NextHeldAsync());
            }

            var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default));
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
            Assert.Contains("connection.max_connections", error.Status.Detail);

            foreach (var call in held)
            {
                call.Release.SetResult();
            }

            await Task.WhenAll(calls.Select(c => c.ResponseAsync)).WaitAsync(TestTimeouts.Default);
            var reply = await gateway.Client.UnaryAsync(new ProbeRequest { Sequence = 7 }).ResponseAsync.WaitAsync(TestTimeouts.Default);
            Assert.Equal(7, reply.Sequence);
        }
        finally
        {
            foreach (var call in calls)
            {
                call.Dispose();
            }
        }
    }
}
