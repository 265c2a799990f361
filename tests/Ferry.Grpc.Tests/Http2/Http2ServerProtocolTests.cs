using System.Buffers;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Tests.Http2;

/// <summary>
/// Ferry's HTTP/2 server against a client scripted frame by frame: what it sends first, how it answers requests, and
/// the exact frame and error code it sends back for each protocol violation. A stream error must leave the other
/// streams on the connection working; a connection error ends with GOAWAY and RunAsync completing without throwing.
/// </summary>
public sealed class Http2ServerProtocolTests
{
    private static readonly TimeSpan Timeout = Http2ServerTestHost.Timeout;

    /// <summary>A call on <paramref name="streamId"/> is echoed in full: the connection (and its HPACK state) still works.</summary>
    private static async Task AssertEchoWorksAsync(RawHttp2Client client, int streamId)
    {
        await client.SendRequestAsync(streamId);
        await client.SendDataAsync(streamId, [0, 0, 0, 0, 1, 9], endStream: true);
        var response = await client.ReadResponseAsync(streamId);
        Assert.Null(response.ResetCode);
        Assert.Equal("200", response.Header(":status"));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 1, 9 }, response.Body);
        Assert.Equal("0", response.Trailer("grpc-status"));
    }

    private static byte[] Headers(int streamId, Http2FrameFlags flags, byte[] block) => RawHttp2Client.Frame(Http2FrameType.Headers, flags, streamId, block);

    [Fact]
    public async Task The_server_sends_its_settings_and_raises_the_connection_window()
    {
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo(), new Http2ServerOptions
        {
            MaxConcurrentStreams = 7, InitialStreamWindow = 100_000, InitialConnectionWindow = 1_000_000, MaxFrameSize = 20_000, MaxHeaderListSize = 5_000,
        });
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        Assert.Equal(7u, client.ServerSettings[Http2SettingId.MaxConcurrentStreams]);
        Assert.Equal(100_000u, client.ServerSettings[Http2SettingId.InitialWindowSize]);
        Assert.Equal(20_000u, client.ServerSettings[Http2SettingId.MaxFrameSize]);
        Assert.Equal(5_000u, client.ServerSettings[Http2SettingId.MaxHeaderListSize]);
        Assert.False(client.ServerSettings.ContainsKey(Http2SettingId.EnablePush));
        var update = await client.ReadFrameAsync(Http2FrameType.WindowUpdate, 0);
        Assert.Equal(1_000_000u - 65_535u, ScriptedHttp2Server.ReadUInt32(update.Payload));
    }

    [Fact]
    public async Task A_client_that_waits_for_the_servers_settings_after_its_preface_gets_them()
    {
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo());
        await using var client = await RawHttp2Client.ConnectAsync(host.Port);

        await client.WriteRawAsync(Http2FrameWriter.ClientPreface.ToArray());
        var settings = await client.ReadFrameAsync();
        Assert.Equal(Http2FrameType.Settings, settings.Header.Type);

        await client.WriteAsync(o => Http2FrameWriter.WriteSettings(o, []));
        await client.ReadFrameAsync(f => f.Header.Type == Http2FrameType.Settings && f.Header.HasFlag(Http2FrameFlags.Ack));
        await AssertEchoWorksAsync(client, 1);
    }

    [Fact]
    public async Task Response_headers_leave_before_the_request_body_ends()
    {
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo());
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.SendRequestAsync(1);
        var headers = await client.ReadFrameAsync(Http2FrameType.Headers, 1);
        Assert.Contains(new KeyValuePair<string, string>(":status", "200"), headers.Headers!);

        await client.SendDataAsync(1, [1, 2, 3], endStream: false);
        var data = await client.ReadFrameAsync(Http2FrameType.Data, 1);
        Assert.Equal(new byte[] { 1, 2, 3 }, data.Payload);
        await client.SendDataAsync(1, [], endStream: true);
        var response = await client.ReadResponseAsync(1);
        // The response headers were read above, so the block ending the stream comes back as the first one here.
        Assert.Equal("0", response.Header("grpc-status"));
    }

    [Theory]
    [InlineData("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")]
    [InlineData("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 a TLS hello")]
    public async Task A_client_that_sends_no_preface_is_disconnected_without_a_frame(string opening)
    {
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo());
        await using var client = await RawHttp2Client.ConnectAsync(host.Port);

        await client.WriteRawAsync(System.Text.Encoding.Latin1.GetBytes(opening));

        Assert.Empty(await client.ReadUntilClosedAsync());
        await (await host.NextConnectionAsync()).Run.WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_first_frame_other_than_settings_is_a_protocol_error()
    {
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo());
        await using var client = await RawHttp2Client.ConnectAsync(host.Port);

        await client.WriteAsync(o =>
        {
            o.Write(Http2FrameWriter.ClientPreface);
            Http2FrameWriter.WritePing(o, 1, ack: false);
        });

        Assert.Equal(Http2FrameType.Settings, (await client.ReadFrameAsync()).Header.Type);
        var (_, debug) = await client.ExpectGoAwayAsync(Http2ErrorCode.ProtocolError);
        Assert.Contains("not SETTINGS", debug);
        await client.ReadUntilClosedAsync();
        await (await host.NextConnectionAsync()).Run.WaitAsync(Timeout);
    }

    [Theory]
    [InlineData("even stream id", Http2ErrorCode.ProtocolError)]
    [InlineData("decreasing stream id", Http2ErrorCode.ProtocolError)]
    [InlineData("frame between HEADERS and CONTINUATION", Http2ErrorCode.ProtocolError)]
    [InlineData("CONTINUATION on another stream", Http2ErrorCode.ProtocolError)]
    [InlineData("CONTINUATION without HEADERS", Http2ErrorCode.ProtocolError)]
    [InlineData("HEADERS on stream 0", Http2ErrorCode.ProtocolError)]
    [InlineData("DATA on stream 0", Http2ErrorCode.ProtocolError)]
    [InlineData("DATA on an idle stream", Http2ErrorCode.ProtocolError)]
    [InlineData("RST_STREAM on an even stream", Http2ErrorCode.ProtocolError)]
    [InlineData("WINDOW_UPDATE on an idle stream", Http2ErrorCode.ProtocolError)]
    [InlineData("PUSH_PROMISE", Http2ErrorCode.ProtocolError)]
    [InlineData("frame above the max frame size", Http2ErrorCode.FrameSizeError)]
    [InlineData("PING of 7 bytes", Http2ErrorCode.FrameSizeError)]
    [InlineData("PING on a stream", Http2ErrorCode.ProtocolError)]
    [InlineData("RST_STREAM of 3 bytes", Http2ErrorCode.FrameSizeError)]
    [InlineData("WINDOW_UPDATE of 5 bytes", Http2ErrorCode.FrameSizeError)]
    [InlineData("WINDOW_UPDATE of 0 on the connection", Http2ErrorCode.ProtocolError)]
    [InlineData("connection window overflow", Http2ErrorCode.FlowControlError)]
    [InlineData("HPACK garbage", Http2ErrorCode.CompressionError)]
    [InlineData("HPACK index beyond the tables", Http2ErrorCode.CompressionError)]
    [InlineData("padding longer than the frame", Http2ErrorCode.ProtocolError)]
    [InlineData("PRIORITY on stream 0", Http2ErrorCode.ProtocolError)]
    [InlineData("GOAWAY on a stream", Http2ErrorCode.ProtocolError)]
    [InlineData("SETTINGS on a stream", Http2ErrorCode.ProtocolError)]
    [InlineData("SETTINGS of 5 bytes", Http2ErrorCode.FrameSizeError)]
    [InlineData("SETTINGS ack with a payload", Http2ErrorCode.FrameSizeError)]
    [InlineData("INITIAL_WINDOW_SIZE above 2^31-1", Http2ErrorCode.FlowControlError)]
    [InlineData("MAX_FRAME_SIZE below 16384", Http2ErrorCode.ProtocolError)]
    [InlineData("MAX_FRAME_SIZE above 2^24-1", Http2ErrorCode.ProtocolError)]
    [InlineData("ENABLE_PUSH of 2", Http2ErrorCode.ProtocolError)]
    public async Task A_connection_error_ends_the_connection_with_goaway(string violation, Http2ErrorCode expected)
    {
        var handler = new TestStreamHandler(stream => TestStreamHandler.ReadBodyAsync(stream));
        await using var host = new Http2ServerTestHost(handler, new Http2ServerOptions { MaxFrameSize = 16_384, InitialConnectionWindow = 65_535 });
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        await client.SendRequestAsync(1);
        await handler.NextRequestAsync();
        var request = client.EncodeHeaders(RawHttp2Client.Request());

        await client.WriteRawAsync(violation switch
        {
            "even stream id" => Headers(2, Http2FrameFlags.EndHeaders, request),
            "decreasing stream id" => [.. Headers(5, Http2FrameFlags.EndHeaders, request), .. Headers(3, Http2FrameFlags.EndHeaders, client.EncodeHeaders(RawHttp2Client.Request()))],
            "frame between HEADERS and CONTINUATION" => [.. Headers(3, Http2FrameFlags.None, request), .. RawHttp2Client.Frame(Http2FrameType.Ping, 0, 0, new byte[8])],
            "CONTINUATION on another stream" => [.. Headers(3, Http2FrameFlags.None, request), .. RawHttp2Client.Frame(Http2FrameType.Continuation, Http2FrameFlags.EndHeaders, 5, [])],
            "CONTINUATION without HEADERS" => RawHttp2Client.Frame(Http2FrameType.Continuation, Http2FrameFlags.EndHeaders, 1, [0x88]),
            "HEADERS on stream 0" => Headers(0, Http2FrameFlags.EndHeaders, request),
            "DATA on stream 0" => RawHttp2Client.Frame(Http2FrameType.Data, 0, 0, [1]),
            "DATA on an idle stream" => RawHttp2Client.Frame(Http2FrameType.Data, 0, 7, [1]),
            "RST_STREAM on an even stream" => RawHttp2Client.Frame(Http2FrameType.RstStream, 0, 2, RawHttp2Client.UInt32(8)),
            "WINDOW_UPDATE on an idle stream" => RawHttp2Client.Frame(Http2FrameType.WindowUpdate, 0, 7, RawHttp2Client.UInt32(1)),
            "PUSH_PROMISE" => RawHttp2Client.Frame(Http2FrameType.PushPromise, Http2FrameFlags.EndHeaders, 1, [0, 0, 0, 2, 0x88]),
            "frame above the max frame size" => RawHttp2Client.Frame(Http2FrameType.Data, 0, 1, new byte[16_385]),
            "PING of 7 bytes" => RawHttp2Client.Frame(Http2FrameType.Ping, 0, 0, new byte[7]),
            "PING on a stream" => RawHttp2Client.Frame(Http2FrameType.Ping, 0, 1, new byte[8]),
            "RST_STREAM of 3 bytes" => RawHttp2Client.Frame(Http2FrameType.RstStream, 0, 1, new byte[3]),
            "WINDOW_UPDATE of 5 bytes" => RawHttp2Client.Frame(Http2FrameType.WindowUpdate, 0, 1, new byte[5]),
            "WINDOW_UPDATE of 0 on the connection" => RawHttp2Client.Frame(Http2FrameType.WindowUpdate, 0, 0, RawHttp2Client.UInt32(0)),
            "connection window overflow" => RawHttp2Client.Frame(Http2FrameType.WindowUpdate, 0, 0, RawHttp2Client.UInt32(int.MaxValue)),
            "HPACK garbage" => Headers(3, Http2FrameFlags.EndHeaders, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
            "HPACK index beyond the tables" => Headers(3, Http2FrameFlags.EndHeaders, [0xFE]),
            "padding longer than the frame" => RawHttp2Client.Frame(Http2FrameType.Data, Http2FrameFlags.Padded, 1, [4, 1, 2, 3]),
            "PRIORITY on stream 0" => RawHttp2Client.Frame(Http2FrameType.Priority, 0, 0, [0, 0, 0, 1, 16]),
            "GOAWAY on a stream" => RawHttp2Client.Frame(Http2FrameType.GoAway, 0, 1, new byte[8]),
            "SETTINGS on a stream" => RawHttp2Client.Frame(Http2FrameType.Settings, 0, 1, []),
            "SETTINGS of 5 bytes" => RawHttp2Client.Frame(Http2FrameType.Settings, 0, 0, new byte[5]),
            "SETTINGS ack with a payload" => RawHttp2Client.Frame(Http2FrameType.Settings, Http2FrameFlags.Ack, 0, new byte[6]),
            "INITIAL_WINDOW_SIZE above 2^31-1" => Settings(Http2SettingId.InitialWindowSize, 0x8000_0000),
            "MAX_FRAME_SIZE below 16384" => Settings(Http2SettingId.MaxFrameSize, 16_383),
            "MAX_FRAME_SIZE above 2^24-1" => Settings(Http2SettingId.MaxFrameSize, 16_777_216),
            _ => Settings(Http2SettingId.EnablePush, 2),
        });

        var (lastStreamId, debug) = await client.ExpectGoAwayAsync(expected);
        var processed = violation == "decreasing stream id" ? 5 : 1;
        Assert.Equal(processed, lastStreamId);
        Assert.NotEmpty(debug);
        await client.ReadUntilClosedAsync();
        await (await host.NextConnectionAsync()).Run.WaitAsync(Timeout);
        // Stream 5 came in the read that ended the connection, so it never reached the handler.
        Assert.Equal(1, handler.Requests);
    }

    [Fact]
    public async Task Data_beyond_the_connection_window_is_a_connection_error()
    {
        // The connection window is returned as data arrives, so only one frame larger than all of it can overdraw it.
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo(), new Http2ServerOptions { MaxFrameSize = 65_536, InitialConnectionWindow = 65_535 });
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        await client.SendRequestAsync(1);

        await client.SendDataAsync(1, new byte[65_536], endStream: false);

        await client.ExpectGoAwayAsync(Http2ErrorCode.FlowControlError);
        await client.ReadUntilClosedAsync();
    }

    private static byte[] Settings(Http2SettingId id, uint value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Http2FrameWriter.WriteSettings(buffer, [(id, value)]);
        return buffer.WrittenSpan.ToArray();
    }

    [Theory]
    [InlineData("no :path")]
    [InlineData("empty :path")]
    [InlineData("relative :path")]
    [InlineData("no :method")]
    [InlineData("no :scheme")]
    [InlineData("repeated :method")]
    [InlineData("unknown pseudo-header")]
    [InlineData(":status in a request")]
    [InlineData("pseudo-header after a regular header")]
    [InlineData("uppercase name")]
    [InlineData("connection")]
    [InlineData("keep-alive")]
    [InlineData("proxy-connection")]
    [InlineData("transfer-encoding")]
    [InlineData("upgrade")]
    [InlineData("te other than trailers")]
    [InlineData("CR in a value")]
    [InlineData("NUL in a value")]
    [InlineData("LF in :path")]
    [InlineData("host differs from :authority")]
    [InlineData("invalid content-length")]
    [InlineData("content-length without a body")]
    public async Task A_malformed_request_is_reset_before_the_handler_and_other_streams_carry_on(string problem)
    {
        var handler = TestStreamHandler.Echo();
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        (string, string)[] method = [(":method", "POST")], scheme = [(":scheme", "http")], authority = [(":authority", "localhost")], path = [(":path", "/svc/M")];
        (string, string)[] fields = problem switch
        {
            "no :path" => [.. method, .. scheme, .. authority],
            "empty :path" => [.. method, .. scheme, .. authority, (":path", "")],
            "relative :path" => [.. method, .. scheme, .. authority, (":path", "svc/M")],
            "no :method" => [.. scheme, .. authority, .. path],
            "no :scheme" => [.. method, .. authority, .. path],
            "repeated :method" => [.. method, (":method", "GET"), .. scheme, .. authority, .. path],
            "unknown pseudo-header" => [.. method, .. scheme, .. authority, .. path, (":protocol", "websocket")],
            ":status in a request" => [.. method, .. scheme, .. authority, .. path, (":status", "200")],
            "pseudo-header after a regular header" => [.. method, .. scheme, ("content-type", "application/grpc"), .. authority, .. path],
            "uppercase name" => [.. method, .. scheme, .. authority, .. path, ("X-Upper", "1")],
            "te other than trailers" => [.. method, .. scheme, .. authority, .. path, ("te", "gzip")],
            "CR in a value" => [.. method, .. scheme, .. authority, .. path, ("x-a", "1\r2")],
            "NUL in a value" => [.. method, .. scheme, .. authority, .. path, ("x-a", "1\02")],
            "LF in :path" => [.. method, .. scheme, .. authority, (":path", "/a\nb")],
            "host differs from :authority" => [.. method, .. scheme, .. authority, .. path, ("host", "elsewhere")],
            "invalid content-length" => [.. method, .. scheme, .. authority, .. path, ("content-length", "12a")],
            "content-length without a body" => [.. method, .. scheme, .. authority, .. path, ("content-length", "5")],
            _ => [.. method, .. scheme, .. authority, .. path, (problem, "1")],
        };

        await client.WriteRawAsync(Headers(1, Http2FrameFlags.EndHeaders | Http2FrameFlags.EndStream, RawHttp2Client.LiteralBlock(fields)));

        await client.ExpectRstStreamAsync(1, Http2ErrorCode.ProtocolError);
        await AssertEchoWorksAsync(client, 3);
        Assert.Equal(1, handler.Requests);
    }

    [Fact]
    public async Task A_request_with_host_instead_of_authority_uses_the_host()
    {
        string? authority = null;
        var handler = new TestStreamHandler(stream =>
        {
            authority = stream.Authority;
            stream.WriteHeaders(200, 0, static (_, _) => { }, endStream: true);
            return Task.CompletedTask;
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.WriteRawAsync(Headers(1, Http2FrameFlags.EndHeaders | Http2FrameFlags.EndStream,
            RawHttp2Client.LiteralBlock((":method", "GET"), (":scheme", "https"), (":path", "/"), ("host", "example.com:8443"))));

        Assert.Equal("200", (await client.ReadResponseAsync(1)).Header(":status"));
        Assert.Equal("example.com:8443", authority);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_body_that_contradicts_its_content_length_resets_the_stream(bool longer)
    {
        var readFailure = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestStreamHandler(async stream =>
        {
            if (stream.Path == "/echo.Echo/Call")
            {
                await TestStreamHandler.EchoAsync(stream);
                return;
            }

            try
            {
                await TestStreamHandler.ReadBodyAsync(stream);
            }
            catch (IOException ex)
            {
                readFailure.SetResult(ex);
            }
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.SendHeadersAsync(1, false, RawHttp2Client.Request("/sized", ("content-length", "4")));
        await handler.NextRequestAsync();
        await client.SendDataAsync(1, [1, 2, 3], endStream: !longer);
        if (longer)
        {
            await client.SendDataAsync(1, [4, 5], endStream: true);
        }

        await client.ExpectRstStreamAsync(1, Http2ErrorCode.ProtocolError);
        Assert.Contains("content-length", (await readFailure.Task.WaitAsync(Timeout)).Message);
        await AssertEchoWorksAsync(client, 3);
    }

    [Fact]
    public async Task A_body_matching_its_content_length_is_accepted()
    {
        var handler = TestStreamHandler.Echo();
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.SendHeadersAsync(1, false, RawHttp2Client.Request(extra: ("content-length", "5")));
        await client.SendDataAsync(1, [1, 2], endStream: false);
        await client.SendDataAsync(1, [3, 4, 5], endStream: true);

        var response = await client.ReadResponseAsync(1);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, response.Body);
        Assert.Empty(handler.Failures);
    }

    [Fact]
    public async Task Request_trailers_reach_the_handler()
    {
        IReadOnlyList<KeyValuePair<string, string>>? trailers = null;
        var handler = new TestStreamHandler(async stream =>
        {
            await TestStreamHandler.ReadBodyAsync(stream);
            trailers = stream.RequestTrailers;
            stream.WriteHeaders(200, 0, static (_, _) => { }, endStream: true);
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.SendRequestAsync(1);
        await client.SendDataAsync(1, [1], endStream: false);
        await client.SendHeadersAsync(1, true, ("x-checksum", "abc"), ("x-more", "1"));

        Assert.Equal("200", (await client.ReadResponseAsync(1)).Header(":status"));
        Assert.Equal(["x-checksum=abc", "x-more=1"], trailers!.Select(t => $"{t.Key}={t.Value}"));
    }

    [Theory]
    [InlineData("trailers without END_STREAM", Http2ErrorCode.ProtocolError)]
    [InlineData("pseudo-header in trailers", Http2ErrorCode.ProtocolError)]
    [InlineData("DATA after END_STREAM", Http2ErrorCode.StreamClosed)]
    [InlineData("HEADERS after END_STREAM", Http2ErrorCode.StreamClosed)]
    [InlineData("WINDOW_UPDATE of 0 on the stream", Http2ErrorCode.ProtocolError)]
    [InlineData("stream window overflow", Http2ErrorCode.FlowControlError)]
    [InlineData("PRIORITY of 4 bytes", Http2ErrorCode.FrameSizeError)]
    [InlineData("PRIORITY on itself", Http2ErrorCode.ProtocolError)]
    public async Task A_stream_error_resets_only_that_stream_and_the_handler_sees_it_aborted(string violation, Http2ErrorCode expected)
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestStreamHandler(async stream =>
        {
            if (stream.Path == "/echo.Echo/Call")
            {
                await TestStreamHandler.EchoAsync(stream);
                return;
            }

            // Answers only once aborted: the stream stays open on our side meanwhile.
            stream.OnAborted(static s => ((TaskCompletionSource)s!).SetResult(), aborted);
            stream.WriteHeaders(200, 0, static (_, _) => { }, endStream: false);
            stream.Flush();
            await aborted.Task.WaitAsync(Timeout);
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        var endStream = violation.Contains("after END_STREAM");
        await client.SendHeadersAsync(1, endStream, RawHttp2Client.Request("/held"));
        await client.ReadFrameAsync(Http2FrameType.Headers, 1);

        await client.WriteRawAsync(violation switch
        {
            "trailers without END_STREAM" => Headers(1, Http2FrameFlags.EndHeaders, client.EncodeHeaders(("x-trailer", "1"))),
            "pseudo-header in trailers" => Headers(1, Http2FrameFlags.EndHeaders | Http2FrameFlags.EndStream, client.EncodeHeaders((":path", "/x"))),
            "DATA after END_STREAM" => RawHttp2Client.Frame(Http2FrameType.Data, 0, 1, [1]),
            "HEADERS after END_STREAM" => Headers(1, Http2FrameFlags.EndHeaders | Http2FrameFlags.EndStream, client.EncodeHeaders(("x-trailer", "1"))),
            "WINDOW_UPDATE of 0 on the stream" => RawHttp2Client.Frame(Http2FrameType.WindowUpdate, 0, 1, RawHttp2Client.UInt32(0)),
            "stream window overflow" => RawHttp2Client.Frame(Http2FrameType.WindowUpdate, 0, 1, RawHttp2Client.UInt32(int.MaxValue)),
            "PRIORITY of 4 bytes" => RawHttp2Client.Frame(Http2FrameType.Priority, 0, 1, [0, 0, 0, 3]),
            _ => RawHttp2Client.Frame(Http2FrameType.Priority, 0, 1, [0, 0, 0, 1, 16]),
        });

        await client.ExpectRstStreamAsync(1, expected);
        await aborted.Task.WaitAsync(Timeout);
        await AssertEchoWorksAsync(client, 3);
        Assert.Empty(handler.Failures);
    }

    [Fact]
    public async Task Data_beyond_the_stream_window_is_a_flow_control_reset_of_that_stream()
    {
        var handler = new TestStreamHandler(async stream =>
        {
            if (stream.Path == "/echo.Echo/Call")
            {
                await TestStreamHandler.EchoAsync(stream);
                return;
            }

            // Never reads: the window is all the client may send.
            var aborted = new TaskCompletionSource();
            stream.OnAborted(static s => ((TaskCompletionSource)s!).SetResult(), aborted);
            await aborted.Task.WaitAsync(Timeout);
        });
        await using var host = new Http2ServerTestHost(handler, new Http2ServerOptions { InitialStreamWindow = 70_000 });
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.SendRequestAsync(1, path: "/stalled");
        await client.SendDataAsync(1, new byte[16_384], endStream: false);
        await client.SendDataAsync(1, new byte[16_384], endStream: false);
        await client.SendDataAsync(1, new byte[16_384], endStream: false);
        await client.SendDataAsync(1, new byte[16_384], endStream: false);
        await client.SendDataAsync(1, new byte[70_000 - 65_536], endStream: false);
        await client.SendDataAsync(1, [1], endStream: false);

        await client.ExpectRstStreamAsync(1, Http2ErrorCode.FlowControlError);
        await AssertEchoWorksAsync(client, 3);
    }

    [Fact]
    public async Task Headers_over_the_header_list_limit_get_431_and_keep_hpack_in_step()
    {
        var handler = TestStreamHandler.Echo();
        await using var host = new Http2ServerTestHost(handler, new Http2ServerOptions { MaxHeaderListSize = 1_000 });
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        // Indexed names and values go into the client's dynamic table in this block: the server must decode it all.
        await client.SendHeadersAsync(1, false, RawHttp2Client.Request(extra: ("x-big", new string('b', 2_000))));

        var response = await client.ReadFrameAsync(Http2FrameType.Headers, 1);
        Assert.Equal([":status=431"], response.Headers!.Select(h => $"{h.Key}={h.Value}"));
        Assert.True(response.Header.IsEndStream);
        await client.ExpectRstStreamAsync(1, Http2ErrorCode.NoError);
        await AssertEchoWorksAsync(client, 3);
        Assert.Equal(1, handler.Requests);
    }

    [Fact]
    public async Task A_header_block_split_into_continuation_frames_is_reassembled()
    {
        var handler = TestStreamHandler.Echo();
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        var value = new string('v', 3_000);
        var block = client.EncodeHeaders(RawHttp2Client.Request(extra: ("x-echo-long", value)));

        await client.WriteAsync(o => Http2FrameWriter.WriteHeaders(o, 1, block, endStream: true, maxFrameSize: 100));

        var response = await client.ReadResponseAsync(1);
        Assert.Equal(value, response.Header("x-echo-long"));
        Assert.Equal("0", response.Trailer("grpc-status"));
    }

    [Fact]
    public async Task Large_response_headers_are_split_into_continuation_frames_by_the_clients_frame_size()
    {
        var value = new string('h', 40_000);
        var handler = new TestStreamHandler(stream =>
        {
            stream.WriteHeaders(200, value, static (headers, v) => headers.AddOctets("x-large", v), endStream: true);
            return Task.CompletedTask;
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAsync(host.Port);
        await client.HandshakeAsync();

        await client.SendRequestAsync(1, endStream: true);
        var response = await client.ReadResponseAsync(1);

        Assert.Equal(value, response.Header("x-large"));
    }

    [Fact]
    public async Task Padded_and_prioritised_frames_are_understood()
    {
        var handler = TestStreamHandler.Echo();
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        var block = client.EncodeHeaders(RawHttp2Client.Request());

        await client.WriteRawAsync(
        [
            .. RawHttp2Client.Frame(Http2FrameType.Headers, Http2FrameFlags.EndHeaders | Http2FrameFlags.Padded | Http2FrameFlags.Priority, 1,
                [3, 0, 0, 0, 0, 16, .. block, 0, 0, 0]),
            .. RawHttp2Client.Frame(Http2FrameType.Priority, 0, 1, [0, 0, 0, 0, 32]),
            .. RawHttp2Client.Frame(Http2FrameType.Priority, 0, 9, [0, 0, 0, 1, 32]),
            .. RawHttp2Client.Frame(Http2FrameType.Data, Http2FrameFlags.Padded | Http2FrameFlags.EndStream, 1, [2, 7, 8, 9, 0, 0]),
        ]);

        var response = await client.ReadResponseAsync(1);
        Assert.Equal(new byte[] { 7, 8, 9 }, response.Body);
        Assert.Equal("0", response.Trailer("grpc-status"));
    }

    [Fact]
    public async Task Headers_depending_on_their_own_stream_are_a_stream_error_after_decoding()
    {
        var handler = TestStreamHandler.Echo();
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        var block = client.EncodeHeaders(RawHttp2Client.Request());

        await client.WriteRawAsync(RawHttp2Client.Frame(Http2FrameType.Headers, Http2FrameFlags.EndHeaders | Http2FrameFlags.Priority, 1, [0, 0, 0, 1, 16, .. block]));

        await client.ExpectRstStreamAsync(1, Http2ErrorCode.ProtocolError);
        await AssertEchoWorksAsync(client, 3);
        Assert.Equal(1, handler.Requests);
    }

    [Fact]
    public async Task Unknown_frames_and_settings_are_ignored()
    {
        var handler = TestStreamHandler.Echo();
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.WriteRawAsync([.. RawHttp2Client.Frame((Http2FrameType)0xEE, (Http2FrameFlags)0xFF, 1, [1, 2, 3]), .. Settings((Http2SettingId)0x99, 12345)]);

        await AssertEchoWorksAsync(client, 1);
    }

    [Fact]
    public async Task A_ping_is_answered_with_its_payload_and_an_unknown_ping_ack_is_ignored()
    {
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo());
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.WriteAsync(o =>
        {
            Http2FrameWriter.WritePing(o, 0x1122334455667788, ack: true);
            Http2FrameWriter.WritePing(o, 0x0102030405060708, ack: false);
        });

        var ack = await client.ReadFrameAsync(Http2FrameType.Ping);
        Assert.True(ack.Header.HasFlag(Http2FrameFlags.Ack));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, ack.Payload);
        await AssertEchoWorksAsync(client, 1);
    }

    [Fact]
    public async Task Streams_over_the_limit_are_refused_and_never_reach_the_handler()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestStreamHandler(async stream =>
        {
            if (stream.Path == "/held")
            {
                await release.Task.WaitAsync(Timeout);
            }

            await TestStreamHandler.EchoAsync(stream);
        });
        await using var host = new Http2ServerTestHost(handler, new Http2ServerOptions { MaxConcurrentStreams = 2 });
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.SendRequestAsync(1, path: "/held");
        await client.SendRequestAsync(3, path: "/held");
        await client.SendRequestAsync(5, path: "/held");

        await client.ExpectRstStreamAsync(5, Http2ErrorCode.RefusedStream);
        release.SetResult();
        await client.SendDataAsync(1, [1], endStream: true);
        await client.SendDataAsync(3, [3], endStream: true);
        Assert.Equal(new byte[] { 1 }, (await client.ReadResponseAsync(1)).Body);
        Assert.Equal(new byte[] { 3 }, (await client.ReadResponseAsync(3)).Body);
        await AssertEchoWorksAsync(client, 7);
        Assert.Equal(3, handler.Requests);
    }

    [Fact]
    public async Task Rapid_resets_end_the_connection_with_enhance_your_calm()
    {
        var handler = new TestStreamHandler(stream => TestStreamHandler.ReadBodyAsync(stream));
        await using var host = new Http2ServerTestHost(handler, new Http2ServerOptions { MaxResetsPerSecond = 10 });
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.WriteAsync(o =>
        {
            for (var id = 1; id <= 41; id += 2)
            {
                Http2FrameWriter.WriteHeaders(o, id, client.EncodeHeaders(RawHttp2Client.Request()), endStream: false, 16_384);
                Http2FrameWriter.WriteRstStream(o, id, Http2ErrorCode.Cancel);
            }
        });

        var (_, debug) = await client.ExpectGoAwayAsync(Http2ErrorCode.EnhanceYourCalm);
        Assert.Contains("resets", debug);
        await client.ReadUntilClosedAsync();
        await (await host.NextConnectionAsync()).Run.WaitAsync(Timeout);
        // Requests reset in the read they arrived in are never handed over.
        Assert.Equal(0, handler.Requests);
    }

    [Fact]
    public async Task A_continuation_flood_ends_the_connection_with_enhance_your_calm()
    {
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo(), new Http2ServerOptions { MaxHeaderListSize = 4_096 });
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.WriteAsync(o =>
        {
            Http2FrameWriter.WriteHeaders(o, 1, client.EncodeHeaders(RawHttp2Client.Request()), endStream: false, 16_384);
        });
        var headers = client.EncodeHeaders(RawHttp2Client.Request());
        await client.WriteRawAsync(Headers(3, Http2FrameFlags.None, headers));
        for (var i = 0; i < 3; i++)
        {
            await client.WriteRawAsync(RawHttp2Client.Frame(Http2FrameType.Continuation, 0, 3, new byte[8_000]));
        }

        await client.ExpectGoAwayAsync(Http2ErrorCode.EnhanceYourCalm);
        await client.ReadUntilClosedAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_flood_of_empty_frames_ends_the_connection_with_enhance_your_calm(bool continuation)
    {
        var type = continuation ? Http2FrameType.Continuation : Http2FrameType.Data;
        await using var host = new Http2ServerTestHost(new TestStreamHandler(stream => TestStreamHandler.ReadBodyAsync(stream)));
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        var block = client.EncodeHeaders(RawHttp2Client.Request());

        var frames = new List<byte>(Headers(1, type == Http2FrameType.Data ? Http2FrameFlags.EndHeaders : Http2FrameFlags.None, block));
        for (var i = 0; i < 1_100; i++)
        {
            frames.AddRange(RawHttp2Client.Frame(type, 0, 1, []));
        }

        await client.WriteRawAsync([.. frames]);

        var (_, debug) = await client.ExpectGoAwayAsync(Http2ErrorCode.EnhanceYourCalm);
        Assert.Contains("empty", debug);
    }

    [Fact]
    public async Task A_reset_of_a_stream_the_client_never_opened_is_ignored_and_the_connection_carries_on()
    {
        // gRPC core (grpcio) resets calls it cancels before their HEADERS are sent (grpc/grpc#19655); found by a grpcio
        // client cancelling calls through the gateway, whose connections were closed for it.
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo());
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        await client.SendRequestAsync(1, endStream: true);
        Assert.Equal("200", (await client.ReadResponseAsync(1)).Header(":status"));

        await client.WriteRawAsync(RawHttp2Client.Frame(Http2FrameType.RstStream, 0, 3, RawHttp2Client.UInt32((uint)Http2ErrorCode.Cancel)));
        await client.SendRequestAsync(5, endStream: true);

        Assert.Equal("200", (await client.ReadResponseAsync(5)).Header(":status"));
    }

    [Fact]
    public async Task A_flood_of_resets_of_streams_never_opened_ends_the_connection_with_enhance_your_calm()
    {
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo());
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        var frames = new List<byte>();
        for (var i = 0; i < 1_100; i++)
        {
            frames.AddRange(RawHttp2Client.Frame(Http2FrameType.RstStream, 0, 1 + (2 * i), RawHttp2Client.UInt32((uint)Http2ErrorCode.Cancel)));
        }

        await client.WriteRawAsync([.. frames]);

        var (_, debug) = await client.ExpectGoAwayAsync(Http2ErrorCode.EnhanceYourCalm);
        Assert.Contains("RstStream", debug);
    }
}
