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

        using var calls = new HoldingCalls(gateway, Calls);
        HoldingCalls.Release(await HoldingCalls.ArrivedAsync(backend, Calls));

        Assert.Equal(Enumerable.Range(0, Calls), await calls.SequencesAsync());
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
        // The extra calls start waiting as soon as they are sent; a slow machine must not time them out meanwhile.
        var cluster = GatewayConfigs.Cluster("c", backend) with
        {
            Connection = new ConnectionConfig { MaxConnections = 1, DialTimeout = TestTimeouts.Default },
        };
        await using var gateway = await TestGateway.StartAsync(cluster);

        using var calls = new HoldingCalls(gateway, Calls);
        var first = await HoldingCalls.ArrivedAsync(backend, 100);

        // Proving an absence takes a wait: with a second connection the other 20 would arrive within milliseconds.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.Equal(100, backend.Probe.Calls);

        HoldingCalls.Release(first);
        HoldingCalls.Release(await HoldingCalls.ArrivedAsync(backend, Calls - 100));
        Assert.Equal(Enumerable.Range(0, Calls), await calls.SequencesAsync());
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

        using var calls = new HoldingCalls(gateway, 100);
        var held = await HoldingCalls.ArrivedAsync(backend, 100);

        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("connection.max_connections", error.Status.Detail);

        HoldingCalls.Release(held);
        await calls.SequencesAsync();
        var reply = await gateway.Client.UnaryAsync(new ProbeRequest { Sequence = 7 }).ResponseAsync.WaitAsync(TestTimeouts.Default);
        Assert.Equal(7, reply.Sequence);
    }

    /// <summary>Unary calls numbered 0..n-1 that each hold at the backend until released; disposing ends any still open.</summary>
    private sealed class HoldingCalls(TestGateway gateway, int count) : IDisposable
    {
        private readonly List<AsyncUnaryCall<ProbeReply>> _calls =
            [.. Enumerable.Range(0, count).Select(i => gateway.Client.UnaryAsync(new ProbeRequest { Action = "hold", Sequence = i }))];

        /// <summary>The next <paramref name="count"/> calls to reach the backend's hold, in arrival order.</summary>
        public static async Task<List<HeldCall>> ArrivedAsync(TestBackend backend, int count)
        {
            var held = new List<HeldCall>();
            for (var i = 0; i < count; i++)
            {
                held.Add(await backend.Probe.NextHeldAsync());
            }

            return held;
        }

        public static void Release(IEnumerable<HeldCall> held)
        {
            foreach (var call in held)
            {
                call.Release.SetResult();
            }
        }

        /// <summary>Waits for every reply; their sequence numbers in order.</summary>
        public async Task<IEnumerable<int>> SequencesAsync() =>
            (await Task.WhenAll(_calls.Select(c => c.ResponseAsync)).WaitAsync(TestTimeouts.Default)).Select(r => r.Sequence).Order();

        public void Dispose()
        {
            foreach (var call in _calls)
            {
                call.Dispose();
            }
        }
    }
}
