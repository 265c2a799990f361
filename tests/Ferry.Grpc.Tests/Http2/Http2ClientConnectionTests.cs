using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Tests.Http2;

/// <summary>
/// Ferry's HTTP/2 client against a server scripted frame by frame: resets, refusals, GOAWAY, malformed responses,
/// flow control, pings and protocol violations. A failure on one stream must leave the others working.
/// </summary>
public sealed class Http2ClientConnectionTests
{
    private static readonly TimeSpan Timeout = ScriptedHttp2Server.Timeout;

    private static void Post(Http2HeaderWriter headers, string path)
    {
        headers.Add(":method", "POST");
        headers.Add(":scheme", "http");
        headers.Add(":authority", "backend");
        headers.Add(":path", path);
        headers.Add("content-type", "application/grpc");
        headers.Add("te", "trailers");
    }

    private static Http2ClientStream Open(Http2ClientConnection connection, string path = "/svc/Method")
    {
        Assert.True(connection.TryOpenStream(Post, path, endStream: false, flush: true, out var stream));
        return stream;
    }

    private static async Task<byte[]> ReadBodyAsync(Http2ClientStream stream)
    {
        var body = new MemoryStream();
        while (true)
        {
            var result = await stream.ReadBodyAsync().AsTask().WaitAsync(Timeout);
            foreach (var segment in result.Buffer)
            {
                body.Write(segment.Span);
            }

            stream.AdvanceBody(result);
            if (result.IsCompleted)
            {
                return body.ToArray();
            }
        }
    }

    [Fact]
    public async Task A_request_and_its_response_with_trailers_cross_the_connection()
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync();
        using var stream = Open(connection, "/pkg.Svc/Call");
        stream.EndRequest();

        var (id, headers) = await server.ReadRequestHeadersAsync();
        Assert.Equal(
            [":method=POST", ":scheme=http", ":authority=backend", ":path=/pkg.Svc/Call", "content-type=application/grpc", "te=trailers"],
            headers.Select(h => $"{h.Key}={h.Value}"));
        var data = await server.ReadFrameAsync(Http2FrameType.Data);
        Assert.True(data.Header.HasFlag(Http2FrameFlags.EndStream));

        await server.SendHeadersAsync(id, false, (":status", "200"), ("content-type", "application/grpc"), ("x-meta", "v"));
        await server.SendDataAsync(id, [0, 0, 0, 0, 2, 8, 1], endStream: false);
        await server.SendHeadersAsync(id, true, ("grpc-status", "0"), ("grpc-message", "ok"));

        await stream.ReadHeadersAsync().WaitAsync(Timeout);
        Assert.Equal(200, stream.StatusCode);
        Assert.Contains(new KeyValuePair<string, string>("x-meta", "v"), stream.Headers);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 2, 8, 1 }, await ReadBodyAsync(stream));
        Assert.Equal(["grpc-status=0", "grpc-message=ok"], stream.Trailers.Select(h => $"{h.Key}={h.Value}"));
        Assert.True(stream.IsClosed);
        Assert.Equal(0, connection.ActiveStreams);
    }

    [Fact]
    public async Task Headers_and_trailers_split_into_continuation_frames_are_reassembled()
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync();
        using var stream = Open(connection);
        var (id, _) = await server.ReadRequestHeadersAsync();
        var big = new string('x', 3000);

        await server.SendHeadersAsync(id, false, 7, (":status", "200"), ("content-type", "application/grpc"), ("x-big", big));
        await server.SendHeadersAsync(id, true, 5, ("grpc-status", "0"), ("x-trailer", big));

        await stream.ReadHeadersAsync().WaitAsync(Timeout);
        Assert.Contains(new KeyValuePair<string, string>("x-big", big), stream.Headers);
        Assert.Empty(await ReadBodyAsync(stream));
        Assert.Contains(new KeyValuePair<string, string>("x-trailer", big), stream.Trailers);
    }

    [Fact]
    public async Task A_trailers_only_response_ends_with_its_headers()
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync();
        using var stream = Open(connection);
        var (id, _) = await server.ReadRequestHeadersAsync();

        await server.SendHeadersAsync(id, true, (":status", "200"), ("content-type", "application/grpc"), ("grpc-status", "5"));

        await stream.ReadHeadersAsync().WaitAsync(Timeout);
        Assert.True(stream.EndedWithHeaders);
        Assert.Contains(new KeyValuePair<string, string>("grpc-status", "5"), stream.Headers);
        Assert.Empty(await ReadBodyAsync(stream));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reset_with_no_error_after_a_complete_response_keeps_the_response_and_stops_the_request(bool trailersOnly)
    {
        // RFC 9113 §8.1: a server may answer before the request ended, then send RST_STREAM(NO_ERROR) to stop it.
        // Both arrive in one read here, before the caller has even seen the headers; repeated, as the reset used to
        // race the headers' delivery.
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync();
        for (var i = 0; i < 25; i++)
        {
            using var stream = Open(connection);
            var (id, _) = await server.ReadRequestHeadersAsync();

            await server.WriteAsync(o =>
            {
                if (trailersOnly)
                {
                    server.WriteHeaders(o, id, true, 16_384, (":status", "200"), ("content-type", "application/grpc"), ("grpc-status", "3"), ("grpc-message", "bad"));
                }
                else
                {
                    server.WriteHeaders(o, id, false, 16_384, (":status", "200"), ("content-type", "application/grpc"));
                    Http2FrameWriter.WriteData(o, id, new ReadOnlySequence<byte>([0, 0, 0, 0, 1, 7]), endStream: false);
                    server.WriteHeaders(o, id, true, 16_384, ("grpc-status", "0"));
                }

                Http2FrameWriter.WriteRstStream(o, id, Http2ErrorCode.NoError);
            });

            await stream.ReadHeadersAsync().WaitAsync(Timeout);
            Assert.Equal(trailersOnly, stream.EndedWithHeaders);
            Assert.Equal(trailersOnly ? [] : new byte[] { 0, 0, 0, 0, 1, 7 }, await ReadBodyAsync(stream));
            Assert.Contains(new KeyValuePair<string, string>("grpc-status", trailersOnly ? "3" : "0"), trailersOnly ? stream.Headers : stream.Trailers);
            Assert.True(stream.IsClosed);
            await Assert.ThrowsAsync<OperationCanceledException>(() => stream.WriteDataAsync(new ReadOnlySequence<byte>([1, 2, 3]), endStream: true).AsTask().WaitAsync(Timeout));
        }

        Assert.Equal(0, connection.ActiveStreams);
    }

    [Fact]
    public async Task A_complete_response_in_a_read_cut_short_by_a_connection_error_is_still_delivered()
    {
        // The trailers-only response and then a protocol violation (DATA on a stream id the client never uses) in
        // one read: the batch ends in the error before its headers are signalled, yet the response is whole.
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync();
        using var stream = Open(connection);
        var (id, _) = await server.ReadRequestHeadersAsync();

        await server.WriteAsync(o =>
        {
            server.WriteHeaders(o, id, true, 16_384, (":status", "200"), ("content-type", "application/grpc"), ("grpc-status", "2"));
            Http2FrameWriter.WriteData(o, 2, new ReadOnlySequence<byte>([1]), endStream: false);
        });

        await stream.ReadHeadersAsync().WaitAsync(Timeout);
        Assert.True(stream.EndedWithHeaders);
        Assert.Contains(new KeyValuePair<string, string>("grpc-status", "2"), stream.Headers);
        Assert.False(connection.IsUsable);
    }

    [Fact]
    public async Task A_reset_with_no_error_before_the_response_ended_fails_the_stream()
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync();
        using var stream = Open(connection);
        var (id, _) = await server.ReadRequestHeadersAsync();
        await server.SendHeadersAsync(id, false, (":status", "200"), ("content-type", "application/grpc"));
        await stream.ReadHeadersAsync().WaitAsync(Timeout);

        await server.SendRstAsync(id, Http2ErrorCode.NoError);

        var error = await Assert.ThrowsAsync<Http2StreamException>(() => ReadBodyAsync(stream));
        Assert.Equal(Http2ErrorCode.NoError, error.ErrorCode);
        Assert.True(error.ResetByPeer);
    }

    [Fact]
    public async Task A_refused_stream_is_reported_as_not_processed_and_the_next_stream_works()
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync();
        using var refused = Open(connection);
        var (id, _) = await server.ReadRequestHeadersAsync();
        await server.SendRstAsync(id, Http2ErrorCode.RefusedStream);

        var error = await Assert.ThrowsAsync<Http2StreamException>(() => refused.ReadHeadersAsync().WaitAsync(Timeout));
        Assert.True(error.RequestNotProcessed);
        Assert.True(error.ResetByPeer);
        Assert.Equal(Http2ErrorCode.RefusedStream, error.ErrorCode);

        using var next = Open(connection);
        var (nextId, _) = await server.ReadRequestHeadersAsync();
        await server.SendHeadersAsync(nextId, true, (":status", "200"), ("grpc-status", "0"));
        await next.ReadHeadersAsync().WaitAsync(Timeout);
        Assert.Equal(200, next.StatusCode);
    }

    [Fact]
    public async Task Goaway_fails_only_the_streams_the_server_never_processed_and_the_rest_complete()
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync();
        using var first = Open(connection);
        using var second = Open(connection);
        var (firstId, _) = await server.ReadRequestHeadersAsync();
        var (secondId, _) = await server.ReadRequestHeadersAsync();

        await server.WriteAsync(o => Http2FrameWriter.WriteGoAway(o, firstId, Http2ErrorCode.NoError));

        var error = await Assert.ThrowsAsync<Http2StreamException>(() => second.ReadHeadersAsync().WaitAsync(Timeout));
        Assert.True(error.RequestNotProcessed);
        Assert.False(connection.IsUsable);
        Assert.False(connection.TryOpenStream(Post, "/x", false, flush: true, out _));

        await server.SendHeadersAsync(firstId, true, (":status", "200"), ("grpc-status", "0"));
        await first.ReadHeadersAsync().WaitAsync(Timeout);
        Assert.True(first.EndedWithHeaders);
        Assert.True(secondId > firstId);
    }

    [Fact]
    public async Task Goaway_too_many_pings_is_recognised_and_named_when_the_connection_then_closes()
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync();
        using var stream = Open(connection);
        var (id, _) = await server.ReadRequestHeadersAsync();

        var payload = new byte[8 + "too_many_pings".Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(payload, id);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), (uint)Http2ErrorCode.EnhanceYourCalm);
        Encoding.ASCII.GetBytes("too_many_pings", payload.AsSpan(8));
        await server.WriteRawAsync(ScriptedHttp2Server.Frame(Http2FrameType.GoAway, Http2FrameFlags.None, 0, payload));
        await server.DisposeAsync();

        // The stream was processed (its id is the last one), so it fails when the connection closes, saying why.
        var error = await Assert.ThrowsAsync<Http2StreamException>(() => stream.ReadHeadersAsync().WaitAsync(Timeout));
        Assert.False(error.RequestNotProcessed);
        Assert.Contains("GOAWAY EnhanceYourCalm: too_many_pings", error.Message);
        Assert.True(connection.TooManyPings);
        Assert.False(connection.IsUsable);
    }

    [Theory]
    [InlineData("X-Upper", "v", "invalid header name")]
    [InlineData("connection", "close", "connection-specific header")]
    [InlineData(":path", "/x", "unexpected pseudo-header")]
    public async Task A_malformed_response_resets_only_its_stream(string name, string value, string expected)
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync();
        using var bad = Open(connection);
        using var good = Open(connection);
        var (badId, _) = await server.ReadRequestHeadersAsync();
        var (goodId, _) = await server.ReadRequestHeadersAsync();

        await server.WriteAsync(o =>
        {
            // Literal without indexing, new name, so the uppercase or forbidden name reaches the client as sent.
            var block = new ArrayBufferWriter<byte>();
            block.Write(new byte[] { 0x88 }); // :status 200
            block.Write(new byte[] { 0x00, (byte)name.Length });
            block.Write(Encoding.ASCII.GetBytes(name));
            block.Write(new[] { (byte)value.Length });
            block.Write(Encoding.ASCII.GetBytes(value));
            Http2FrameWriter.WriteHeaders(o, badId, block.WrittenSpan, endStream: true, 16_384);
        });

        var error = await Assert.ThrowsAsync<Http2StreamException>(() => bad.ReadHeadersAsync().WaitAsync(Timeout));
        Assert.Contains(expected, error.Message);
        var rst = await server.ReadFrameAsync(Http2FrameType.RstStream);
        Assert.Equal(badId, rst.Header.StreamId);
        Assert.Equal((uint)Http2ErrorCode.ProtocolError, ScriptedHttp2Server.ReadUInt32(rst.Payload));

        await server.SendHeadersAsync(goodId, true, (":status", "200"), ("grpc-status", "0"));
        await good.ReadHeadersAsync().WaitAsync(Timeout);
        Assert.True(connection.IsUsable);
    }

    [Fact]
    public async Task Headers_opened_without_flush_leave_with_the_first_write_or_on_flush()
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync();
        Assert.True(connection.TryOpenStream(Post, "/svc/Written", endStream: false, flush: false, out var written));
        Assert.True(written.TryWriteData(new ReadOnlySequence<byte>([0, 0, 0, 0, 0]), endStream: true));

        var (writtenId, writtenHeaders) = await server.ReadRequestHeadersAsync();
        var data = await server.ReadFrameAsync(Http2FrameType.Data);
        Assert.Contains(new KeyValuePair<string, string>(":path", "/svc/Written"), writtenHeaders);
        Assert.Equal(writtenId, data.Header.StreamId);
        Assert.True(data.Header.HasFlag(Http2FrameFlags.EndStream));

        Assert.True(connection.TryOpenStream(Post, "/svc/Flushed", endStream: false, flush: false, out var flushed));
        flushed.Flush();
        var (_, flushedHeaders) = await server.ReadRequestHeadersAsync();
        Assert.Contains(new KeyValuePair<string, string>(":path", "/svc/Flushed"), flushedHeaders);
        written.Dispose();
        flushed.Dispose();
    }

    [Fact]
    public async Task Headers_opened_without_flush_leave_while_their_first_write_waits_for_window()
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync(settings: (Http2SettingId.InitialWindowSize, 0));
        await server.ReadFrameAsync(Http2FrameType.Settings); // the client's ACK
        Assert.True(connection.TryOpenStream(Post, "/svc/Blocked", endStream: false, flush: false, out var stream));
        using (stream)
        {
            var sending = stream.WriteDataAsync(new ReadOnlySequence<byte>([0, 0, 0, 0, 0]), endStream: true).AsTask();

            var (id, headers) = await server.ReadRequestHeadersAsync();
            Assert.Contains(new KeyValuePair<string, string>(":path", "/svc/Blocked"), headers);
            Assert.False(sending.IsCompleted);

            await server.WriteAsync(o => Http2FrameWriter.WriteWindowUpdate(o, id, 100));
            var data = await server.ReadFrameAsync(Http2FrameType.Data);
            Assert.True(data.Header.HasFlag(Http2FrameFlags.EndStream));
            await sending.WaitAsync(Timeout);
        }
    }

    [Fact]
    public async Task Request_data_waits_for_the_servers_window_and_resumes_on_window_update()
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync(settings: (Http2SettingId.InitialWindowSize, 10));
        await server.ReadFrameAsync(Http2FrameType.Settings); // the client's ACK
        using var stream = Open(connection);
        var (id, _) = await server.ReadRequestHeadersAsync();

        var payload = Enumerable.Range(0, 25).Select(i => (byte)i).ToArray();
        Assert.False(stream.TryWriteData(new ReadOnlySequence<byte>(payload), endStream: true));
        var sending = stream.WriteDataAsync(new ReadOnlySequence<byte>(payload), endStream: true).AsTask();

        var first = await server.ReadFrameAsync(Http2FrameType.Data);
        Assert.Equal(payload[..10], first.Payload);
        await Task.Delay(100);
        Assert.False(sending.IsCompleted);

        await server.WriteAsync(o => Http2FrameWriter.WriteWindowUpdate(o, id, 100));
        var rest = await server.ReadFrameAsync(Http2FrameType.Data);
        Assert.Equal(payload[10..], rest.Payload);
        Assert.True(rest.Header.HasFlag(Http2FrameFlags.EndStream));
        await sending.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Uploads_sharing_the_connection_window_take_turns()
    {
        // Streams may each send 1 MiB, the connection only 64 KiB until the server grants more, frame by frame.
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync(settings: (Http2SettingId.InitialWindowSize, 1024 * 1024));
        await server.ReadFrameAsync(Http2FrameType.Settings); // the client's ACK
        var bodies = Enumerable.Range(1, 3).Select(n => Enumerable.Range(0, 512 * 1024).Select(i => (byte)(i * n)).ToArray()).ToArray();
        var streams = bodies.Select(_ => Open(connection)).ToArray();
        var sending = streams.Select((stream, i) => stream.WriteDataAsync(new ReadOnlySequence<byte>(bodies[i]), endStream: true).AsTask()).ToArray();

        var received = new Dictionary<int, MemoryStream>();
        var (runStream, run, longestRun, ended) = (0, 0L, 0L, 0);
        while (ended < 3)
        {
            var (header, payload) = await server.ReadFrameAsync();
            if (header.Type != Http2FrameType.Data)
            {
                continue;
            }

            if (payload.Length > 0)
            {
                await server.WriteAsync(o => Http2FrameWriter.WriteWindowUpdate(o, 0, payload.Length));
            }

            if (!received.TryGetValue(header.StreamId, out var body))
            {
                received[header.StreamId] = body = new MemoryStream();
            }

            body.Write(payload);
            if (ended == 0 && received.Count == 3)
            {
                run = header.StreamId == runStream ? run + payload.Length : payload.Length;
                runStream = header.StreamId;
                longestRun = Math.Max(longestRun, run);
            }

            if (header.HasFlag(Http2FrameFlags.EndStream))
            {
                Assert.True(received.Count == 3, $"stream {header.StreamId} ended before every stream had sent anything");
                ended++;
            }
        }

        await Task.WhenAll(sending).WaitAsync(Timeout);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(bodies[i], received[streams[i].Id].ToArray());
        }

        Assert.True(longestRun <= 2 * Http2SendTurns<Http2ClientStream>.Share, $"while all three were sending, one sent {longestRun} bytes in a row");
        foreach (var stream in streams)
        {
            stream.Dispose();
        }
    }

    [Fact]
    public async Task A_stream_reset_while_waiting_for_the_connection_window_gives_its_place_to_the_next()
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync(settings: (Http2SettingId.InitialWindowSize, 1024 * 1024));
        await server.ReadFrameAsync(Http2FrameType.Settings); // the client's ACK
        using var first = Open(connection);
        using var reset = Open(connection);
        using var next = Open(connection);
        await first.WriteDataAsync(new ReadOnlySequence<byte>(new byte[65_535]), endStream: true).AsTask().WaitAsync(Timeout);
        var failing = reset.WriteDataAsync(new ReadOnlySequence<byte>(new byte[1000]), endStream: true).AsTask();
        var sending = next.WriteDataAsync(new ReadOnlySequence<byte>(new byte[2000]), endStream: true).AsTask();
        await Task.Delay(100);
        Assert.False(failing.IsCompleted);
        Assert.False(sending.IsCompleted);

        // The reset stream was first in line for the window, the other behind it.
        await server.SendRstAsync(reset.Id, Http2ErrorCode.Cancel);
        await Assert.ThrowsAnyAsync<Exception>(() => failing.WaitAsync(Timeout));
        await server.WriteAsync(o => Http2FrameWriter.WriteWindowUpdate(o, 0, 10_000));

        await sending.WaitAsync(Timeout);
        var received = 0;
        while (received < 2000)
        {
            var (header, payload) = await server.ReadFrameAsync(Http2FrameType.Data);
            if (header.StreamId == next.Id)
            {
                received += payload.Length;
            }
        }
    }

    [Fact]
    public async Task Request_headers_over_the_servers_header_list_limit_or_failing_fail_the_open_and_the_connection_carries_on()
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync(settings: (Http2SettingId.MaxHeaderListSize, 1024));
        await server.ReadFrameAsync(Http2FrameType.Settings); // the client's ACK
        var big = new string('m', 1500);

        var error = Assert.Throws<HeaderListTooLargeException>(() => connection.TryOpenStream(static (headers, value) =>
        {
            Post(headers, "/svc/Big");
            headers.AddOctets("x-big", value);
        }, big, endStream: true, flush: true, out _));
        Assert.Contains("server's limit of 1024 bytes", error.Message);
        Assert.Throws<InvalidOperationException>(() => connection.TryOpenStream<int>(static (headers, _) =>
        {
            Post(headers, "/svc/Failing");
            throw new InvalidOperationException("The metadata could not be produced.");
        }, 0, endStream: true, flush: true, out _));

        // Nothing of the refused or failed blocks was encoded: the next one decodes, its fields as sent.
        using var stream = Open(connection, "/svc/Small");
        var (_, headers) = await server.ReadRequestHeadersAsync();
        Assert.Contains(new KeyValuePair<string, string>(":path", "/svc/Small"), headers);
        Assert.Contains(new KeyValuePair<string, string>("content-type", "application/grpc"), headers);
    }

    [Fact]
    public async Task Consumed_response_data_is_granted_back_to_the_server()
    {
        await using var server = new ScriptedHttp2Server();
        var options = new Http2ClientOptions { InitialStreamWindow = 65_536 };
        await using var connection = await server.ConnectClientAsync(options);
        using var stream = Open(connection);
        var (id, _) = await server.ReadRequestHeadersAsync();
        await server.SendHeadersAsync(id, false, (":status", "200"));
        await server.SendDataAsync(id, new byte[16_384], endStream: false);
        await server.SendDataAsync(id, new byte[16_384], endStream: false);
        await stream.ReadHeadersAsync().WaitAsync(Timeout);

        var received = 0L;
        while (received < 32_768)
        {
            var result = await stream.ReadBodyAsync().AsTask().WaitAsync(Timeout);
            received += result.Buffer.Length;
            stream.AdvanceBody(result);
        }

        while (true)
        {
            var update = await server.ReadFrameAsync(Http2FrameType.WindowUpdate);
            if (update.Header.StreamId == id)
            {
                Assert.Equal(32_768u, ScriptedHttp2Server.ReadUInt32(update.Payload));
                break;
            }
        }
    }

    [Fact]
    public async Task A_window_the_server_fills_within_a_ping_round_trip_grows_as_the_reader_consumes()
    {
        await using var server = new ScriptedHttp2Server();
        var options = new Http2ClientOptions { InitialStreamWindow = 65_536, MaxStreamWindow = 1024 * 1024 };
        await using var connection = await server.ConnectClientAsync(options);
        using var stream = Open(connection);
        var (id, _) = await server.ReadRequestHeadersAsync();
        await server.SendHeadersAsync(id, false, (":status", "200"));
        await stream.ReadHeadersAsync().WaitAsync(Timeout);

        // A reader that used its window arms a measurement: the next DATA brings a PING.
        await SendDataAsync(server, id, frames: 4);
        await SyncAsync(server);
        await ConsumeAsync(stream, 65_536);
        for (var granted = 0u; granted < 65_536;)
        {
            granted += await ReadStreamWindowUpdateAsync(server, id);
        }

        await SendDataAsync(server, id, frames: 1);
        var ping = await server.ReadFrameAsync(Http2FrameType.Ping);
        Assert.False(ping.Header.HasFlag(Http2FrameFlags.Ack));

        // The whole window arrives before the ACK: the window is what limits this path.
        await SendDataAsync(server, id, frames: 3);
        await server.WriteAsync(o => Http2FrameWriter.WritePing(o, ScriptedHttp2Server.ReadInt64(ping.Payload), ack: true));

        await SyncAsync(server);

        // The first credit for what is read next carries the growth to twice the sample (128 KiB).
        await ConsumeAsync(stream, 65_536);
        var update = await ReadStreamWindowUpdateAsync(server, id);
        Assert.InRange(update, 32_768u + 65_536u, 65_536u + 65_536u);
    }

    /// <summary>Frames are handled in order: once the client answered this PING, it handled everything sent before.</summary>
    private static async Task SyncAsync(ScriptedHttp2Server server)
    {
        await server.WriteAsync(o => Http2FrameWriter.WritePing(o, 42, ack: false));
        while (true)
        {
            var ping = await server.ReadFrameAsync(Http2FrameType.Ping);
            if (ping.Header.HasFlag(Http2FrameFlags.Ack) && ScriptedHttp2Server.ReadInt64(ping.Payload) == 42)
            {
                return;
            }
        }
    }

    private static async Task SendDataAsync(ScriptedHttp2Server server, int streamId, int frames)
    {
        for (var i = 0; i < frames; i++)
        {
            await server.SendDataAsync(streamId, new byte[16_384], endStream: false);
        }
    }

    private static async Task ConsumeAsync(Http2ClientStream stream, long length)
    {
        var consumed = 0L;
        while (consumed < length)
        {
            var result = await stream.ReadBodyAsync().AsTask().WaitAsync(Timeout);
            consumed += result.Buffer.Length;
            stream.AdvanceBody(result);
        }

        Assert.Equal(length, consumed);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData(1024 * 1024, true)]
    public async Task Only_a_client_with_a_maximum_window_measures_the_path(int? maxStreamWindow, bool pings)
    {
        await using var server = new ScriptedHttp2Server();
        var options = new Http2ClientOptions { InitialStreamWindow = 65_536, MaxStreamWindow = maxStreamWindow };
        await using var connection = await server.ConnectClientAsync(options);
        using var stream = Open(connection);
        var (id, _) = await server.ReadRequestHeadersAsync();
        await server.SendHeadersAsync(id, false, (":status", "200"));
        await stream.ReadHeadersAsync().WaitAsync(Timeout);

        // Half the window read and credited, then more DATA: the moment a tuning client sends its PING.
        await SendDataAsync(server, id, frames: 2);
        await ConsumeAsync(stream, 32_768);
        await SendDataAsync(server, id, frames: 1);

        // Everything the client sends in answer to that DATA comes before its answer to our PING.
        await server.WriteAsync(o => Http2FrameWriter.WritePing(o, 42, ack: false));
        var sawPing = false;
        while (true)
        {
            var frame = await server.ReadFrameAsync(Http2FrameType.Ping);
            if (frame.Header.HasFlag(Http2FrameFlags.Ack))
            {
                break;
            }

            sawPing = true;
        }

        Assert.Equal(pings, sawPing);
    }

    private static async Task<uint> ReadStreamWindowUpdateAsync(ScriptedHttp2Server server, int streamId)
    {
        while (true)
        {
            var update = await server.ReadFrameAsync(Http2FrameType.WindowUpdate);
            if (update.Header.StreamId == streamId)
            {
                return ScriptedHttp2Server.ReadUInt32(update.Payload);
            }
        }
    }

    [Fact]
    public async Task A_server_sending_more_than_the_stream_window_gets_a_flow_control_reset()
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync(new Http2ClientOptions { InitialStreamWindow = 1000 });
        using var stream = Open(connection);
        var (id, _) = await server.ReadRequestHeadersAsync();
        await server.SendHeadersAsync(id, false, (":status", "200"));
        await server.SendDataAsync(id, new byte[1001], endStream: false);

        await stream.ReadHeadersAsync().WaitAsync(Timeout);
        await Assert.ThrowsAsync<Http2StreamException>(() => ReadBodyAsync(stream));
        var rst = await server.ReadFrameAsync(Http2FrameType.RstStream);
        Assert.Equal((uint)Http2ErrorCode.FlowControlError, ScriptedHttp2Server.ReadUInt32(rst.Payload));
        Assert.True(connection.IsUsable);
    }

    [Fact]
    public async Task A_ping_is_answered_with_the_same_payload()
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync();
        await server.WriteAsync(o => Http2FrameWriter.WritePing(o, 0x0102030405060708, ack: false));

        var ack = await server.ReadFrameAsync(Http2FrameType.Ping);
        Assert.True(ack.Header.HasFlag(Http2FrameFlags.Ack));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, ack.Payload);
    }

    [Theory]
    [InlineData("oversized frame", Http2ErrorCode.FrameSizeError)]
    [InlineData("data on stream 0", Http2ErrorCode.ProtocolError)]
    [InlineData("push promise", Http2ErrorCode.ProtocolError)]
    [InlineData("bad hpack", Http2ErrorCode.CompressionError)]
    [InlineData("stream never opened", Http2ErrorCode.ProtocolError)]
    public async Task A_protocol_violation_ends_the_connection_with_goaway_and_fails_its_streams(string violation, Http2ErrorCode expected)
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync(new Http2ClientOptions { MaxFrameSize = 16_384 });
        using var stream = Open(connection);
        var (id, _) = await server.ReadRequestHeadersAsync();

        await server.WriteRawAsync(violation switch
        {
            "oversized frame" => ScriptedHttp2Server.Frame(Http2FrameType.Data, 0, id, new byte[16_385]),
            "data on stream 0" => ScriptedHttp2Server.Frame(Http2FrameType.Data, 0, 0, [1]),
            "push promise" => ScriptedHttp2Server.Frame(Http2FrameType.PushPromise, Http2FrameFlags.EndHeaders, id, [0, 0, 0, 2, 0x88]),
            "bad hpack" => ScriptedHttp2Server.Frame(Http2FrameType.Headers, Http2FrameFlags.EndHeaders, id, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
            _ => ScriptedHttp2Server.Frame(Http2FrameType.Headers, Http2FrameFlags.EndHeaders, 99, [0x88]),
        });

        var goAway = await server.ReadFrameAsync(Http2FrameType.GoAway);
        Assert.Equal((uint)expected, ScriptedHttp2Server.ReadUInt32(goAway.Payload, 4));
        await Assert.ThrowsAsync<Http2StreamException>(() => stream.ReadHeadersAsync().WaitAsync(Timeout));
        Assert.False(connection.IsUsable);
    }

    [Fact]
    public async Task The_servers_stream_limit_is_respected()
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync(settings: (Http2SettingId.MaxConcurrentStreams, 1));
        await server.ReadFrameAsync(Http2FrameType.Settings);
        using var first = Open(connection);
        Assert.False(connection.TryOpenStream(Post, "/x", false, flush: true, out _));

        var (id, _) = await server.ReadRequestHeadersAsync();
        first.EndRequest();
        await server.SendHeadersAsync(id, true, (":status", "200"), ("grpc-status", "0"));
        await first.ReadHeadersAsync().WaitAsync(Timeout);
        await ReadBodyAsync(first);

        Assert.True(connection.TryOpenStream(Post, "/x", false, flush: true, out var second));
        second.Dispose();
    }

    [Fact]
    public async Task Disposing_an_unfinished_stream_resets_it_with_cancel()
    {
        await using var server = new ScriptedHttp2Server();
        await using var connection = await server.ConnectClientAsync();
        var stream = Open(connection);
        var (id, _) = await server.ReadRequestHeadersAsync();

        stream.Dispose();

        var rst = await server.ReadFrameAsync(Http2FrameType.RstStream);
        Assert.Equal(id, rst.Header.StreamId);
        Assert.Equal((uint)Http2ErrorCode.Cancel, ScriptedHttp2Server.ReadUInt32(rst.Payload));
        Assert.Equal(0, connection.ActiveStreams);
    }

    [Fact]
    public async Task An_unanswered_keepalive_ping_ends_the_connection()
    {
        await using var server = new ScriptedHttp2Server();
        var options = new Http2ClientOptions { KeepAliveTime = TimeSpan.FromMilliseconds(100), KeepAliveTimeout = TimeSpan.FromMilliseconds(200) };
        await using var connection = await server.ConnectClientAsync(options);
        using var stream = Open(connection);

        var ping = await server.ReadFrameAsync(Http2FrameType.Ping);
        Assert.False(ping.Header.HasFlag(Http2FrameFlags.Ack));

        var error = await Assert.ThrowsAsync<Http2StreamException>(() => stream.ReadHeadersAsync().WaitAsync(Timeout));
        Assert.Contains("keepalive", error.Message);
        Assert.False(connection.IsUsable);
    }

    [Fact]
    public async Task A_server_that_is_not_http2_fails_the_handshake_with_a_clear_error()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serving = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync();
            await socket.SendAsync("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"u8.ToArray());
            await Task.Delay(200);
        });
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);

        var options = new Http2ClientOptions { HandshakeTimeout = TimeSpan.FromSeconds(2) };
        var error = await Assert.ThrowsAnyAsync<Exception>(() => Http2ClientConnection.ConnectAsync(client.GetStream(), options, TimeProvider.System, CancellationToken.None).WaitAsync(Timeout));
        Assert.IsNotType<TimeoutException>(error);
        await serving;
    }
}
