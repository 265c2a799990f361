using Ferry.Gateway.Config;
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
        await using var backend = new GoAwayOnceBackend();
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
    public async Task A_stream_that_was_already_consuming_the_client_is_not_replayed_but_fails_with_unavailable()
    {
        await using var backend = new GoAwayOnceBackend();
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Cluster("c", [new EndpointConfig { Address = $"127.0.0.1:{backend.Port}" }]));

        // A client stream still open when the GOAWAY comes: part of it was copied, so it cannot be sent again.
        using var call = gateway.Client.ClientStream();
        await call.RequestStream.WriteAsync(new ProbeRequest { Payload = Google.Protobuf.ByteString.CopyFromUtf8("first") });

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal(1, backend.Connections);
    }

    /// <summary>
    /// An HTTP/2 backend on a raw socket: its first connection reads one request and answers GOAWAY(last stream 0);
    /// later connections answer every request with an empty message and status OK.
    /// </summary>
    private sealed class GoAwayOnceBackend : IAsyncDisposable
    {
        private readonly RawHttp2Backend _backend;

        public GoAwayOnceBackend() => _backend = new RawHttp2Backend((stream, number, stop) => ServeAsync(stream, first: number == 1, stop));

        public int Port => _backend.Port;

        public int Connections => _backend.Connections;

        public List<byte[]> RequestBodies { get; } = [];

        public ValueTask DisposeAsync() => _backend.DisposeAsync();

        private async Task ServeAsync(Stream stream, bool first, CancellationToken stop)
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
                    if (first)
                    {
                        await RawHttp2Backend.WriteAsync(stream, o => Http2FrameWriter.WriteGoAway(o, 0, Http2ErrorCode.NoError));
                        await Task.Delay(200, stop);
                        return;
                    }

                    await RawHttp2Backend.WriteAsync(stream, o => RawHttp2Backend.WriteUnaryReply(o, encoder, header.StreamId));
                }

                if (first && header.Type == Http2FrameType.Data && !header.HasFlag(Http2FrameFlags.EndStream))
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
