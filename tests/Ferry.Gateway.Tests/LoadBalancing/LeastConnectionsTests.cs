using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;

namespace Ferry.Gateway.Tests.LoadBalancing;

public sealed class LeastConnectionsTests
{
    private const int K = 6;

    /// <summary>
    /// K long-lived streams are held open on endpoint a (b is marked down by health while they open, as an active
    /// health check would, so they cannot go anywhere else); with b back, new calls go to b, the endpoint with fewer
    /// open streams — every one of them, not a share.
    /// </summary>
    [Fact]
    public async Task New_calls_go_to_the_endpoint_with_fewer_open_streams()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", [a.Endpoint(), b.Endpoint()], "least_connections"));
        var endpointB = gateway.Cluster("c").Endpoints.Single(e => e.Address == b.Address);

        endpointB.ActiveHealthy = false;
        var onA = new List<OpenStream>();
        var onB = new List<OpenStream>();
        try
        {
            for (var i = 0; i < K; i++)
            {
                onA.Add(await OpenStream.StartAsync(gateway.Client));
            }

            Assert.All(onA, s => Assert.Equal("a", s.Backend));
            endpointB.ActiveHealthy = true;

            // Unary calls one after another: a has K open streams, b at most the call before this one.
            var unary = await BackendTally.SequenceAsync(gateway, 20);
            Assert.All(unary, backend => Assert.Equal("b", backend));

            // New long-lived streams go to b while it has fewer than a (K - 1 of them, so b stays below a even if the
            // last unary call is still being counted).
            for (var i = 0; i < K - 1; i++)
            {
                onB.Add(await OpenStream.StartAsync(gateway.Client));
            }

            Assert.All(onB, s => Assert.Equal("b", s.Backend));
        }
        finally
        {
            foreach (var stream in onA.Concat(onB))
            {
                await stream.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Streams opened one at a time (each open until the test ends) alternate between two equal endpoints, so 2K
    /// streams end up exactly K and K. A random policy gives K/K only about one run in five.
    /// </summary>
    [Fact]
    public async Task Long_lived_streams_are_spread_by_open_count()
    {
        await using var a = await TestBackend.StartAsync("a");
        await using var b = await TestBackend.StartAsync("b");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", [a.Endpoint(), b.Endpoint()], "least_connections"));

        var streams = new List<OpenStream>();
        try
        {
            for (var i = 0; i < 2 * K; i++)
            {
                streams.Add(await OpenStream.StartAsync(gateway.Client));
                var onA = streams.Count(s => s.Backend == "a");
                Assert.InRange(onA * 2 - streams.Count, -1, 1);
            }

            Assert.Equal(K, streams.Count(s => s.Backend == "a"));
            Assert.Equal(K, streams.Count(s => s.Backend == "b"));
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }
    }

    /// <summary>A bidi stream that exchanged one message (so the test knows its backend) and stays open until disposed.</summary>
    private sealed class OpenStream : IAsyncDisposable
    {
        private readonly AsyncDuplexStreamingCall<ProbeRequest, ProbeReply> _call;

        private OpenStream(AsyncDuplexStreamingCall<ProbeRequest, ProbeReply> call, string backend)
        {
            _call = call;
            Backend = backend;
        }

        public string Backend { get; }

        public static async Task<OpenStream> StartAsync(Probe.ProbeClient client)
        {
            var call = client.Duplex();
            await call.RequestStream.WriteAsync(new ProbeRequest()).WaitAsync(TestTimeouts.Default);
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
            return new OpenStream(call, call.ResponseStream.Current.Backend);
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await _call.RequestStream.CompleteAsync().WaitAsync(TestTimeouts.Default);
                Assert.False(await _call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
                Assert.Equal(StatusCode.OK, _call.GetStatus().StatusCode);
            }
            finally
            {
                _call.Dispose();
            }
        }
    }
}
