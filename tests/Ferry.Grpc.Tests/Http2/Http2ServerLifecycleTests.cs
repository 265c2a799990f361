using System.Buffers;
using System.Buffers.Binary;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Tests.Http2;

/// <summary>
/// How streams and connections end on Ferry's HTTP/2 server: graceful shutdown with streams in flight, client resets
/// and disconnects (OnAborted, failed reads and writes), Abort, keepalive and handshake timeouts, a client's GOAWAY,
/// handlers that fail or stop early, and a client flooding PINGs without reading the answers.
/// </summary>
public sealed class Http2ServerLifecycleTests
{
    private static readonly TimeSpan Timeout = Http2ServerTestHost.Timeout;

    /// <summary>What a handler saw when its stream was aborted under it.</summary>
    private sealed class AbortProbe
    {
        public TaskCompletionSource Aborted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<Exception> ReadFailure { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<Exception> WriteFailure { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>
        /// Registers OnAborted, then waits in both directions at once: a body read (the client sends nothing) and a
        /// data write (the client granted no window), and records how each ends.
        /// </summary>
        public async Task RunAsync(Http2ServerStream stream)
        {
            stream.OnAborted(static s => ((TaskCompletionSource)s!).SetResult(), Aborted);
            stream.WriteHeaders(200, 0, static (_, _) => { }, endStream: false);
            stream.Flush();
            var writing = stream.WriteDataAsync(new ReadOnlySequence<byte>(new byte[10]), endStream: false).AsTask();
            try
            {
                await TestStreamHandler.ReadBodyAsync(stream);
            }
            catch (Exception ex)
            {
                ReadFailure.SetResult(ex);
            }

            try
            {
                await writing.WaitAsync(Timeout);
            }
            catch (Exception ex)
            {
                WriteFailure.SetResult(ex);
            }
        }

        public async Task AssertAbortedAsync(string? message = null)
        {
            await Aborted.Task.WaitAsync(Timeout);
            var read = await ReadFailure.Task.WaitAsync(Timeout);
            var write = await WriteFailure.Task.WaitAsync(Timeout);
            Assert.IsAssignableFrom<IOException>(read);
            Assert.IsAssignableFrom<IOException>(write);
            if (message is not null)
            {
                Assert.Equal(message, read.Message);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Graceful_shutdown_lets_streams_in_flight_finish_and_ignores_new_ones(bool sendOnSocket)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestStreamHandler(async stream =>
        {
            await release.Task.WaitAsync(Timeout);
            await TestStreamHandler.EchoAsync(stream);
        });
        await using var host = new Http2ServerTestHost(handler, sendOnSocket: sendOnSocket);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        var served = await host.NextConnectionAsync();
        await client.SendRequestAsync(1);
        await handler.NextRequestAsync();

        served.Connection.Shutdown();

        var (firstLast, _) = await client.ExpectGoAwayAsync(Http2ErrorCode.NoError);
        Assert.Equal(int.MaxValue, firstLast);
        var ping = await client.ReadFrameAsync(Http2FrameType.Ping);
        Assert.False(ping.Header.HasFlag(Http2FrameFlags.Ack));
        // Sent before the client saw the GOAWAY, as far as the server knows: still served.
        await client.SendRequestAsync(3);
        await client.WriteAsync(o => Http2FrameWriter.WritePing(o, BinaryPrimitives.ReadInt64BigEndian(ping.Payload), ack: true));
        var (finalLast, _) = await client.ExpectGoAwayAsync(Http2ErrorCode.NoError);
        Assert.Equal(3, finalLast);
        await client.SendRequestAsync(5);

        release.SetResult();
        await client.SendDataAsync(1, [1], endStream: true);
        await client.SendDataAsync(3, [3], endStream: true);
        Assert.Equal(new byte[] { 1 }, (await client.ReadResponseAsync(1)).Body);
        Assert.Equal(new byte[] { 3 }, (await client.ReadResponseAsync(3)).Body);
        await served.Run.WaitAsync(Timeout);
        Assert.DoesNotContain(await client.ReadUntilClosedAsync(), f => f.Header.StreamId == 5);
        Assert.Equal(2, handler.Requests);
        Assert.Empty(handler.Failures);
    }

    [Fact]
    public async Task Graceful_shutdown_names_the_last_stream_even_if_its_ping_goes_unanswered()
    {
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo());
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        var served = await host.NextConnectionAsync();
        await client.SendRequestAsync(1, endStream: true);
        await client.ReadResponseAsync(1);

        served.Connection.Shutdown();

        var frames = await client.ReadUntilClosedAsync();
        var goAways = frames.Where(f => f.Header.Type == Http2FrameType.GoAway).Select(f => BinaryPrimitives.ReadInt32BigEndian(f.Payload)).ToArray();
        Assert.Equal([int.MaxValue, 1], goAways);
        await served.Run.WaitAsync(Timeout);
    }

    [Fact]
    public async Task HttpClient_calls_survive_a_graceful_shutdown_that_starts_while_they_run()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestStreamHandler(async stream =>
        {
            await release.Task.WaitAsync(Timeout);
            await TestStreamHandler.EchoAsync(stream);
        });
        await using var host = new Http2ServerTestHost(handler);
        using var client = host.CreateHttpClient();
        var calls = Enumerable.Range(0, 5).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/echo.Echo/Call")
            {
                Version = System.Net.HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent([(byte)i]),
            };
            using var response = await client.SendAsync(request);
            return await response.Content.ReadAsByteArrayAsync();
        }).ToArray();
        var served = await host.NextConnectionAsync();
        for (var i = 0; i < 5; i++)
        {
            await handler.NextRequestAsync();
        }

        served.Connection.Shutdown();
        release.SetResult();

        var bodies = await Task.WhenAll(calls).WaitAsync(Timeout);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => new[] { (byte)i }), bodies);
        await served.Run.WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_client_reset_aborts_the_stream_for_the_handler()
    {
        var probe = new AbortProbe();
        var lateRegistration = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Http2ServerStream? seen = null;
        var handler = new TestStreamHandler(async stream =>
        {
            if (stream.Path != "/probe")
            {
                await TestStreamHandler.EchoAsync(stream);
                return;
            }

            seen = stream;
            await probe.RunAsync(stream);
            Assert.True(stream.IsClosed);
            // One registration per stream; trailers for the dead stream go nowhere.
            Assert.Throws<InvalidOperationException>(() => stream.OnAborted(static _ => { }, null));
            stream.WriteTrailers(0, static (headers, _) => headers.AddOctets("grpc-status", "1"));
            lateRegistration.SetResult();
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port, (Http2SettingId.InitialWindowSize, 0));
        await client.SendRequestAsync(1, path: "/probe");
        await client.ReadFrameAsync(Http2FrameType.Headers, 1);

        await client.WriteAsync(o => Http2FrameWriter.WriteRstStream(o, 1, Http2ErrorCode.Cancel));

        await probe.AssertAbortedAsync("The client reset the stream (CANCEL).");
        Assert.True(seen!.IsClosed);
        await lateRegistration.Task.WaitAsync(Timeout);
        Assert.Empty(handler.Failures);
        await client.SendRequestAsync(3, endStream: true);
        var response = await client.ReadResponseAsync(3);
        Assert.Null(response.ResetCode);
        Assert.DoesNotContain(await DrainQueuedAsync(client), f => f.Header.StreamId == 1);
    }

    /// <summary>What the server sent that the test did not read yet, after a round trip proves it all arrived.</summary>
    private static async Task<List<RawFrame>> DrainQueuedAsync(RawHttp2Client client)
    {
        await client.WriteAsync(o => Http2FrameWriter.WritePing(o, 42, ack: false));
        var frames = new List<RawFrame>();
        while (true)
        {
            var frame = await client.ReadFrameAsync();
            if (frame.Header.Type == Http2FrameType.Ping && frame.Header.HasFlag(Http2FrameFlags.Ack))
            {
                return frames;
            }

            frames.Add(frame);
        }
    }

    [Fact]
    public async Task An_abort_registration_after_the_reset_runs_at_once()
    {
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestStreamHandler(async stream =>
        {
            await Assert.ThrowsAnyAsync<IOException>(() => TestStreamHandler.ReadBodyAsync(stream));
            stream.OnAborted(static s => ((TaskCompletionSource)s!).SetResult(), ran);
            await ran.Task.WaitAsync(Timeout);
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        await client.SendRequestAsync(1);
        await handler.NextRequestAsync();

        await client.WriteAsync(o => Http2FrameWriter.WriteRstStream(o, 1, Http2ErrorCode.Cancel));

        await ran.Task.WaitAsync(Timeout);
        Assert.Empty(handler.Failures);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_disconnect_mid_stream_aborts_its_streams_and_ends_the_connection(bool sendOnSocket)
    {
        var probe = new AbortProbe();
        var handler = new TestStreamHandler(probe.RunAsync);
        await using var host = new Http2ServerTestHost(handler, sendOnSocket: sendOnSocket);
        var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port, (Http2SettingId.InitialWindowSize, 0));
        var served = await host.NextConnectionAsync();
        await client.SendRequestAsync(1);
        await client.ReadFrameAsync(Http2FrameType.Headers, 1);

        await client.DisposeAsync();

        await probe.AssertAbortedAsync();
        await served.Run.WaitAsync(Timeout);
        Assert.Equal(0, served.Connection.ActiveStreams);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Abort_sends_goaway_and_aborts_the_streams(bool sendOnSocket)
    {
        var probe = new AbortProbe();
        var handler = new TestStreamHandler(probe.RunAsync);
        await using var host = new Http2ServerTestHost(handler, sendOnSocket: sendOnSocket);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port, (Http2SettingId.InitialWindowSize, 0));
        var served = await host.NextConnectionAsync();
        await client.SendRequestAsync(1);
        await client.ReadFrameAsync(Http2FrameType.Headers, 1);

        served.Connection.Abort("The server is stopping.");

        var (last, _) = await client.ExpectGoAwayAsync(Http2ErrorCode.InternalError);
        Assert.Equal(1, last);
        await probe.AssertAbortedAsync();
        await served.Run.WaitAsync(Timeout);
        Assert.Contains("The server is stopping.", (await probe.ReadFailure.Task).Message);
    }

    [Fact]
    public async Task A_client_goaway_lets_its_streams_finish_then_the_connection_ends()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestStreamHandler(async stream =>
        {
            await release.Task.WaitAsync(Timeout);
            await TestStreamHandler.EchoAsync(stream);
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        var served = await host.NextConnectionAsync();
        await client.SendRequestAsync(1);
        await client.SendDataAsync(1, [7], endStream: true);
        await handler.NextRequestAsync();

        await client.WriteAsync(o => Http2FrameWriter.WriteGoAway(o, 0, Http2ErrorCode.NoError));
        release.SetResult();

        Assert.Equal(new byte[] { 7 }, (await client.ReadResponseAsync(1)).Body);
        await served.Run.WaitAsync(Timeout);
    }

    [Fact]
    public async Task An_unanswered_keepalive_ping_closes_the_connection()
    {
        var probe = new AbortProbe();
        var handler = new TestStreamHandler(probe.RunAsync);
        var options = new Http2ServerOptions { KeepAliveTime = TimeSpan.FromMilliseconds(100), KeepAliveTimeout = TimeSpan.FromMilliseconds(200) };
        await using var host = new Http2ServerTestHost(handler, options);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port, (Http2SettingId.InitialWindowSize, 0));
        var served = await host.NextConnectionAsync();
        await client.SendRequestAsync(1);

        var frames = await client.ReadUntilClosedAsync();

        Assert.Contains(frames, f => f.Header.IsPingRequest);
        await served.Run.WaitAsync(Timeout);
        await probe.AssertAbortedAsync();
        Assert.Contains("keepalive", (await probe.ReadFailure.Task).Message);
    }

    [Fact]
    public async Task Answered_keepalive_pings_keep_the_connection()
    {
        // Answered for longer than the timeout (12 pings at least 100 ms apart), which would end the connection if the
        // answers went unnoticed; the timeout leaves a busy machine a second to answer each.
        var options = new Http2ServerOptions { KeepAliveTime = TimeSpan.FromMilliseconds(100), KeepAliveTimeout = TimeSpan.FromSeconds(1) };
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo(), options);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        for (var i = 0; i < 12; i++)
        {
            var ping = await client.ReadFrameAsync(f => f.Header.IsPingRequest);
            await client.WriteAsync(o => Http2FrameWriter.WritePing(o, BinaryPrimitives.ReadInt64BigEndian(ping.Payload), ack: true));
        }

        await client.SendRequestAsync(1, endStream: true);
        Assert.Equal("200", (await client.ReadResponseAsync(1)).Header(":status"));
    }

    [Fact]
    public async Task A_client_that_sends_nothing_is_closed_after_the_handshake_timeout()
    {
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo(), new Http2ServerOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(200) });
        await using var client = await RawHttp2Client.ConnectAsync(host.Port);
        var served = await host.NextConnectionAsync();

        Assert.Empty(await client.ReadUntilClosedAsync());
        await served.Run.WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_client_that_sends_the_preface_but_no_settings_gets_goaway_after_the_handshake_timeout()
    {
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo(), new Http2ServerOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(200) });
        await using var client = await RawHttp2Client.ConnectAsync(host.Port);

        await client.WriteRawAsync(Http2FrameWriter.ClientPreface.ToArray());

        var (_, debug) = await client.ExpectGoAwayAsync(Http2ErrorCode.ProtocolError);
        Assert.Equal("handshake timeout", debug);
        await client.ReadUntilClosedAsync();
    }

    [Fact]
    public async Task A_handler_that_throws_costs_only_its_stream()
    {
        var echo = TestStreamHandler.Echo();
        var handler = new ThrowingOnPathHandler("/throw", echo);
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.SendRequestAsync(1, path: "/throw");

        await client.ExpectRstStreamAsync(1, Http2ErrorCode.InternalError);
        await client.SendRequestAsync(3, endStream: true);
        Assert.Equal("0", (await client.ReadResponseAsync(3)).Trailer("grpc-status"));
        Assert.Empty(echo.Failures);
    }

    private sealed class ThrowingOnPathHandler(string path, IHttp2StreamHandler inner) : IHttp2StreamHandler
    {
        public void OnRequest(Http2ServerStream stream)
        {
            if (stream.Path == path)
            {
                throw new InvalidOperationException("The handler failed.");
            }

            inner.OnRequest(stream);
        }
    }

    [Fact]
    public async Task Completing_a_stream_whose_response_did_not_end_resets_it_with_internal_error()
    {
        var handler = new TestStreamHandler(stream =>
        {
            stream.WriteHeaders(200, 0, static (_, _) => { }, endStream: false);
            Assert.True(stream.TryWriteData(new ReadOnlySequence<byte>([1, 2]), endStream: false));
            return Task.CompletedTask;
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.SendRequestAsync(1, endStream: true);

        var response = await client.ReadResponseAsync(1);
        Assert.Equal(new byte[] { 1, 2 }, response.Body);
        Assert.Equal(Http2ErrorCode.InternalError, response.ResetCode);
    }

    [Fact]
    public async Task A_complete_response_to_a_request_still_open_is_followed_by_a_no_error_reset_after_the_drain_timeout()
    {
        var handler = new TestStreamHandler(stream =>
        {
            stream.WriteHeaders(200, 0, static (headers, _) => headers.AddOctets("grpc-status", "12"), endStream: true);
            return Task.CompletedTask;
        });
        await using var host = new Http2ServerTestHost(handler, new Http2ServerOptions { RequestDrainTimeout = TimeSpan.FromMilliseconds(100) });
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        var served = await host.NextConnectionAsync();

        await client.SendRequestAsync(1);

        var response = await client.ReadResponseAsync(1);
        Assert.Equal("12", response.Header("grpc-status"));
        Assert.Equal(0, served.Connection.ActiveStreams);
        await client.SendDataAsync(1, [1], endStream: false);
        await client.ExpectRstStreamAsync(1, Http2ErrorCode.NoError);
        await client.SendDataAsync(1, [1], endStream: true);
        await AssertConnectionAnswersAsync(client);
        Assert.Empty(handler.Failures);
    }

    [Fact]
    public async Task A_request_that_ends_soon_after_a_complete_response_ends_without_a_reset()
    {
        // A reset right behind the status can overtake it through HAProxy (passed on as CANCEL); the client ends its
        // request within the drain timeout, so none is sent.
        var handler = new TestStreamHandler(stream =>
        {
            stream.WriteHeaders(200, 0, static (headers, _) => headers.AddOctets("grpc-status", "12"), endStream: true);
            return Task.CompletedTask;
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.SendRequestAsync(1);
        Assert.Equal("12", (await client.ReadResponseAsync(1)).Header("grpc-status"));
        await client.SendDataAsync(1, [1, 2, 3], endStream: false);
        await client.SendDataAsync(1, [], endStream: true);

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await client.WriteAsync(o => Http2FrameWriter.WritePing(o, 7, ack: false));
        var next = await client.ReadFrameAsync(f => f.Header.Type == Http2FrameType.Ping || f.Header.Type == Http2FrameType.RstStream);
        Assert.Equal(Http2FrameType.Ping, next.Header.Type);
        Assert.Empty(handler.Failures);
    }

    private static async Task AssertConnectionAnswersAsync(RawHttp2Client client)
    {
        await client.WriteAsync(o => Http2FrameWriter.WritePing(o, 9, ack: false));
        Assert.Equal(Http2FrameType.Ping, (await client.ReadFrameAsync(Http2FrameType.Ping)).Header.Type);
    }

    [Fact]
    public async Task A_header_callback_that_throws_resets_its_stream_and_keeps_hpack_in_step()
    {
        var handler = new TestStreamHandler(stream =>
        {
            if (stream.Path == "/fail")
            {
                // The failed block's fields are never encoded: the next block's content-type must still decode.
                var error = Assert.Throws<InvalidOperationException>(() => stream.WriteHeaders(200, 0, static (headers, _) =>
                {
                    headers.AddOctets("content-type", "application/grpc+fail");
                    throw new InvalidOperationException("The metadata could not be produced.");
                }, endStream: false));
                Assert.Equal("The metadata could not be produced.", error.Message);
                Assert.True(stream.IsClosed);
                return Task.CompletedTask;
            }

            stream.WriteHeaders(200, 0, static (headers, _) => headers.AddOctets("content-type", "application/grpc+fail"), endStream: true);
            return Task.CompletedTask;
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.SendRequestAsync(1, endStream: true, path: "/fail");
        await client.ExpectRstStreamAsync(1, Http2ErrorCode.InternalError);
        await client.SendRequestAsync(3, endStream: true);

        Assert.Equal("application/grpc+fail", (await client.ReadResponseAsync(3)).Header("content-type"));
        Assert.Empty(handler.Failures);
    }

    [Fact]
    public async Task A_pending_body_read_can_be_cancelled_by_the_handler()
    {
        var outcome = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestStreamHandler(async stream =>
        {
            var reading = stream.ReadBodyAsync().AsTask();
            stream.CancelPendingBodyRead();
            var result = await reading.WaitAsync(Timeout);
            stream.AdvanceBody(result.Buffer.Start);
            outcome.SetResult(result.IsCanceled);
            stream.WriteHeaders(200, 0, static (_, _) => { }, endStream: true);
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.SendRequestAsync(1);

        Assert.True(await outcome.Task.WaitAsync(Timeout));
        Assert.Equal("200", (await client.ReadResponseAsync(1)).Header(":status"));
    }

    [Fact]
    public async Task A_cancel_that_arrives_after_the_stream_completed_does_nothing_even_once_its_buffer_serves_the_next_stream()
    {
        // As when a call's deadline fires on a timer thread just as its handler completes the stream.
        Http2ServerStream? first = null;
        var firstCompleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lateCancel = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondRead = new TaskCompletionSource<(bool Canceled, long Length)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestStreamHandler(async stream =>
        {
            if (stream.Id == 1)
            {
                first = stream;
                stream.WriteHeaders(200, 0, static (headers, _) => headers.AddOctets("grpc-status", "0"), endStream: true);
                stream.Complete();
                firstCompleted.SetResult();
                return;
            }

            // The second stream rents the buffer the first gave back: a late cancel of the first must not reach it.
            var reading = stream.ReadBodyAsync().AsTask();
            try
            {
                first!.CancelPendingBodyRead();
                lateCancel.SetResult(null);
            }
            catch (Exception ex)
            {
                lateCancel.SetResult(ex);
            }

            var result = await reading.WaitAsync(Timeout);
            secondRead.SetResult((result.IsCanceled, result.Buffer.Length));
            stream.AdvanceBody(result.Buffer.End);
            stream.WriteHeaders(200, 0, static (headers, _) => headers.AddOctets("grpc-status", "0"), endStream: true);
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.SendRequestAsync(1, endStream: true);
        Assert.Equal("0", (await client.ReadResponseAsync(1)).Header("grpc-status"));
        await firstCompleted.Task.WaitAsync(Timeout);
        await client.SendRequestAsync(3);
        Assert.Null(await lateCancel.Task.WaitAsync(Timeout));
        await client.SendDataAsync(3, [1, 2, 3], endStream: true);

        Assert.Equal((false, 3L), await secondRead.Task.WaitAsync(Timeout));
        Assert.Equal("0", (await client.ReadResponseAsync(3)).Header("grpc-status"));
        Assert.Empty(handler.Failures);
    }
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_that_floods_pings_without_reading_the_acks_is_disconnected(bool sendOnSocket)
    {
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo(), sendBufferSize: 8 * 1024, sendOnSocket: sendOnSocket);
        await using var client = await RawHttp2Client.ConnectAsync(host.Port, receiveBufferSize: 8 * 1024);
        await client.HandshakeAsync();
        var served = await host.NextConnectionAsync();
        var pings = new byte[64 * 1024 / 17 * 17];
        for (var offset = 0; offset < pings.Length; offset += 17)
        {
            new Http2FrameHeader(8, Http2FrameType.Ping, Http2FrameFlags.None, 0).Write(pings.AsSpan(offset));
        }

        try
        {
            for (var sent = 0L; sent < 256L * 1024 * 1024 && !served.Run.IsCompleted; sent += pings.Length)
            {
                await client.WriteRawAsync(pings);
            }
        }
        catch (IOException)
        {
            // The server closed the connection while we were still sending.
        }

        await served.Run.WaitAsync(Timeout);
    }
    [Fact]
    public async Task A_connection_with_no_stream_for_the_idle_timeout_is_shut_down_gracefully()
    {
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo(), new Http2ServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(200) });
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        var served = await host.NextConnectionAsync();

        var frames = await client.ReadUntilClosedAsync();

        // The final GOAWAY names no stream (none was started) and no error.
        Assert.Single(frames, f => f.Header.Type == Http2FrameType.GoAway && (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(f.Payload.AsSpan(4)) == Http2ErrorCode.NoError && BinaryPrimitives.ReadInt32BigEndian(f.Payload) == 0);
        await served.Run.WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_connection_is_not_idle_while_a_stream_is_open()
    {
        // Long enough that the stream opens well within it on a loaded machine; the stream then stays open for longer.
        await using var host = new Http2ServerTestHost(TestStreamHandler.Echo(), new Http2ServerOptions { IdleTimeout = TimeSpan.FromSeconds(1) });
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        var served = await host.NextConnectionAsync();
        await client.SendRequestAsync(1);
        await Task.Delay(2500);
        await client.SendDataAsync(1, [0, 0, 0, 0, 1, 7], endStream: true);

        var frames = await client.ReadUntilClosedAsync();

        // The stream is answered in full, and only then, once the connection has been idle, does the GOAWAY come.
        var end = frames.FindIndex(f => f.Header.StreamId == 1 && f.Header.IsEndStream);
        var firstGoAway = frames.FindIndex(f => f.Header.Type == Http2FrameType.GoAway);
        Assert.True(end >= 0, "the stream was not answered");
        Assert.True(firstGoAway > end, $"GOAWAY at frame {firstGoAway}, before the stream ended at frame {end}");
        await served.Run.WaitAsync(Timeout);
    }
}
