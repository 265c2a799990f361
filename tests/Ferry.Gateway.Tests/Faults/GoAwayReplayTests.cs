using Ferry.Gateway.Config;
using Ferry.Gateway.Forwarding;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;

namespace Ferry.Gateway.Tests.Faults;

/// <summary>
/// A backend restarting gracefully sends GOAWAY and drops the streams it never processed (RFC 9113 section 6.8).
/// The gateway sends such a call again on a new connection, so the client never sees the restart.
/// </summary>
public sealed class GoAwayReplayTests
{
    [Fact]
    public async Task A_unary_call_turned_away_by_goaway_is_sent_again_on_a_new_connection_and_succeeds()
    {
        await using var backend = new GoAwayBackend(goAwayConnections: 1);
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Cluster("c", [new EndpointConfig { Address = $"127.0.0.1:{backend.Port}" }]));

        var reply = await gateway.Client.UnaryAsync(new ProbeRequest { Payload = Google.Protobuf.ByteString.CopyFromUtf8("hello") }).ResponseAsync.WaitAsync(TestTimeouts.Default);

        Assert.NotNull(reply);
        Assert.Equal(2, backend.Connections);
        // Both connections received the whole request: the replay carried the same message.
        Assert.Equal(2, backend.RequestBodies.Count);
        Assert.Equal(backend.RequestBodies[0], backend.RequestBodies[1]);
        Assert.True(backend.RequestBodies[0].Length > 5);
    }

    [Fact]
    public async Task A_short_client_stream_turned_away_mid_request_is_sent_again_whole()
    {
        await using var backend = new GoAwayBackend(goAwayConnections: 1);
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Cluster("c", [new EndpointConfig { Address = $"127.0.0.1:{backend.Port}" }]));

        // A client stream still open when the GOAWAY comes: what was sent of it is still held, so it goes again.
        using var call = gateway.Client.ClientStream();
        await call.RequestStream.WriteAsync(new ProbeRequest { Payload = Google.Protobuf.ByteString.CopyFromUtf8("first") });
        await WaitUntilAsync(() => backend.Connections == 2);
        await call.RequestStream.WriteAsync(new ProbeRequest { Payload = Google.Protobuf.ByteString.CopyFromUtf8("second") });
        await call.RequestStream.CompleteAsync();

        await call.ResponseAsync.WaitAsync(TestTimeouts.Default);
        var body = Assert.Single(backend.RequestBodies);
        var text = System.Text.Encoding.ASCII.GetString(body);
        Assert.True(text.IndexOf("first", StringComparison.Ordinal) is >= 0 and var first && text.IndexOf("second", StringComparison.Ordinal) > first, "The second connection must receive both messages, in order.");
    }

    [Fact]
    public async Task A_client_stream_consumed_past_what_is_held_is_not_sent_again_but_fails_with_unavailable()
    {
        // The backend turns the stream away only once more than the gateway holds of a request has arrived.
        await using var backend = new GoAwayBackend(goAwayConnections: 1, goAwayAfterBytes: RequestPump.MaxHeldBytes);
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Cluster("c", [new EndpointConfig { Address = $"127.0.0.1:{backend.Port}" }]));

        using var call = gateway.Client.ClientStream();
        await call.RequestStream.WriteAsync(new ProbeRequest { Payload = Google.Protobuf.ByteString.CopyFrom(new byte[RequestPump.MaxHeldBytes * 2]) });

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(1, backend.Connections);
    }

    [Fact]
    public async Task Streams_turned_away_by_goaway_are_sent_again_without_spending_retries()
    {
        // Connections closing before they take a stream, as nginx closes one at its keepalive_requests: no retry is
        // allowed at all, and the call still goes through on the fifth connection.
        await using var backend = new GoAwayBackend(goAwayConnections: 4);
        await using var gateway = await TestGateway.StartAsync(NoRetries(backend));

        var reply = await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default);

        Assert.NotNull(reply);
        Assert.Equal(5, backend.Connections);
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(gateway.Address, "/metrics"));
        Assert.Contains("ferry_gateway_resends_total{cluster=\"c\",reason=\"goaway\"} 4", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("reason=\"retry\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_backend_that_closes_every_connection_before_taking_a_stream_fails_the_call_after_a_bounded_number_of_sends()
    {
        await using var backend = new GoAwayBackend(goAwayConnections: int.MaxValue);
        await using var gateway = await TestGateway.StartAsync(NoRetries(backend));

        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default));

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("GOAWAY", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(9, backend.Connections);
    }

    private static ClusterConfig NoRetries(GoAwayBackend backend) =>
        GatewayConfigs.Cluster("c", [new EndpointConfig { Address = $"127.0.0.1:{backend.Port}" }]) with
        {
            Retry = new RetryConfig { MaxAttempts = 1, BudgetPercent = 0 },
        };

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    /// <summary>
    /// An HTTP/2 backend on a raw socket: each of its first <c>goAwayConnections</c> connections answers GOAWAY(last
    /// stream 0) when a request has ended, or when more than <c>goAwayAfterBytes</c> of one still streaming came
    /// (it opens the stream's window wide for that); later connections answer every request with an empty message
    /// and status OK.
    /// </summary>
    private sealed class GoAwayBackend : IAsyncDisposable
    {
        private readonly RawHttp2Backend _backend;
        private readonly int _goAwayAfterBytes;

        public GoAwayBackend(int goAwayConnections, int goAwayAfterBytes = 0)
        {
            _goAwayAfterBytes = goAwayAfterBytes;
            _backend = new RawHttp2Backend((stream, number, stop) => ServeAsync(stream, turnAway: number <= goAwayConnections, stop));
        }

        public int Port => _backend.Port;

        public int Connections => _backend.Connections;

        public List<byte[]> RequestBodies { get; } = [];

        public ValueTask DisposeAsync() => _backend.DisposeAsync();

        private async Task ServeAsync(Stream stream, bool turnAway, CancellationToken stop)
        {
            var decoder = new HpackDecoder(4096, 1 << 20);
            var encoder = new HpackEncoder();
            await RawHttp2Backend.AcceptAsync(stream, stop);
            var body = new MemoryStream();
            while (true)
            {
                var (header, payload) = await RawHttp2Backend.ReadFrameAsync(stream);
                if (header.Type == Http2FrameType.Headers)
                {
                    decoder.Decode(payload, new IgnoringSink());
                    if (turnAway)
                    {
                        await RawHttp2Backend.WriteAsync(stream, o =>
                        {
                            Http2FrameWriter.WriteWindowUpdate(o, 0, 1 << 20);
                            Http2FrameWriter.WriteWindowUpdate(o, header.StreamId, 1 << 20);
                        });
                    }
                }

                if (header.Type == Http2FrameType.Data)
                {
                    body.Write(payload);
                }

                if ((header.Type is Http2FrameType.Data or Http2FrameType.Headers) && header.HasFlag(Http2FrameFlags.EndStream))
                {
                    lock (RequestBodies)
                    {
                        RequestBodies.Add(body.ToArray());
                    }

                    body.SetLength(0);
                    if (turnAway)
                    {
                        await RawHttp2Backend.WriteAsync(stream, o => Http2FrameWriter.WriteGoAway(o, 0, Http2ErrorCode.NoError));
                        await Task.Delay(200, stop);
                        return;
                    }

                    await RawHttp2Backend.WriteAsync(stream, o => RawHttp2Backend.WriteUnaryReply(o, encoder, header.StreamId));
                }

                if (turnAway && header.Type == Http2FrameType.Data && !header.HasFlag(Http2FrameFlags.EndStream) && body.Length > _goAwayAfterBytes)
                {
                    // A request still streaming: turn the connection away now, mid-request.
                    await RawHttp2Backend.WriteAsync(stream, o => Http2FrameWriter.WriteGoAway(o, 0, Http2ErrorCode.NoError));
                    await Task.Delay(200, stop);
                    return;
                }
            }
        }

        private sealed class IgnoringSink : IHpackHeaderSink
        {
            public void OnHeader(string name, string value)
            {
            }
        }
    }
}
