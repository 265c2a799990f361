using System.Buffers;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Tests.Http2;

/// <summary>
/// Flow control and backpressure on Ferry's HTTP/2 server: a client that does not read holds the handler's writes at
/// its windows (and a client granting huge windows still does not make the server buffer everything); a handler that
/// does not read holds the client at the stream window; consumed body is credited back; window changes by SETTINGS
/// apply to open streams, negative windows included.
/// </summary>
public sealed class Http2ServerFlowControlTests
{
    private static readonly TimeSpan Timeout = Http2ServerTestHost.Timeout;

    private static void Ok(Http2ServerStream stream) => stream.WriteHeaders(200, 0, static (_, _) => { }, endStream: false);

    /// <summary>Reads DATA frames of <paramref name="streamId"/> until <paramref name="length"/> bytes came; returns them.</summary>
    private static async Task<byte[]> ReadDataAsync(RawHttp2Client client, int streamId, int length)
    {
        var data = new MemoryStream();
        while (data.Length < length)
        {
            var frame = await client.ReadFrameAsync(Http2FrameType.Data, streamId);
            Assert.True(frame.Payload.Length <= 16_384, "DATA frames respect the client's max frame size.");
            data.Write(frame.Payload);
        }

        Assert.Equal(length, data.Length);
        return data.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_that_does_not_read_holds_the_handlers_writes_at_its_window(bool sendOnSocket)
    {
        var body = Enumerable.Range(0, 200_000).Select(i => (byte)i).ToArray();
        var triedBeyondWindow = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var rest = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestStreamHandler(async stream =>
        {
            Ok(stream);
            Assert.True(stream.TryWriteData(new ReadOnlySequence<byte>(body, 0, 65_535), endStream: false));
            triedBeyondWindow.SetResult(stream.TryWriteData(new ReadOnlySequence<byte>(body, 65_535, 1), endStream: false));
            var writing = stream.WriteDataAsync(new ReadOnlySequence<byte>(body, 65_535, body.Length - 65_535), endStream: true).AsTask();
            rest.SetResult(writing);
            await writing;
        });
        await using var host = new Http2ServerTestHost(handler, sendOnSocket: sendOnSocket);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.SendRequestAsync(1, endStream: true);

        var first = await ReadDataAsync(client, 1, 65_535);
        Assert.False(await triedBeyondWindow.Task.WaitAsync(Timeout));
        var writing = await rest.Task.WaitAsync(Timeout);
        Assert.False(writing.IsCompleted);

        await client.SendWindowUpdateAsync(0, 200_000);
        await client.SendWindowUpdateAsync(1, 200_000);
        var response = await client.ReadResponseAsync(1);
        await writing.WaitAsync(Timeout);
        Assert.Equal(body, first.Concat(response.Body).ToArray());
        Assert.Empty(handler.Failures);
    }

    [Fact]
    public async Task Initial_window_changes_apply_to_open_streams_even_below_zero()
    {
        var body = Enumerable.Range(0, 5_000).Select(i => (byte)i).ToArray();
        var handler = new TestStreamHandler(async stream =>
        {
            Ok(stream);
            await stream.WriteDataAsync(new ReadOnlySequence<byte>(body), endStream: true);
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port, (Http2SettingId.InitialWindowSize, 1_000));
        await client.SendRequestAsync(1, endStream: true);
        var received = new List<byte>(await ReadDataAsync(client, 1, 1_000));

        // 1,000 -> 3,000: the stream may send 2,000 more.
        await client.WriteAsync(o => Http2FrameWriter.WriteSettings(o, [(Http2SettingId.InitialWindowSize, 3_000)]));
        received.AddRange(await ReadDataAsync(client, 1, 2_000));

        // 3,000 -> 500 takes the stream's window to -2,500; an update of 4,500 leaves it 2,000.
        await client.WriteAsync(o => Http2FrameWriter.WriteSettings(o, [(Http2SettingId.InitialWindowSize, 500)]));
        await client.ReadFrameAsync(f => f.Header.Type == Http2FrameType.Settings && f.Header.HasFlag(Http2FrameFlags.Ack));
        await client.SendWindowUpdateAsync(1, 4_500);
        received.AddRange(await ReadDataAsync(client, 1, 2_000));

        Assert.Equal(body, received);
        Assert.Empty(handler.Failures);
    }

    [Fact]
    public async Task A_handler_that_does_not_read_holds_the_client_at_the_stream_window()
    {
        var startReading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var buffered = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestStreamHandler(async stream =>
        {
            await startReading.Task.WaitAsync(Timeout);
            Assert.True(stream.TryReadBody(out var early));
            buffered.SetResult(early.Buffer.Length);
            stream.AdvanceBody(early.Buffer.Start);
            var body = await TestStreamHandler.ReadBodyAsync(stream);
            stream.WriteHeaders(200, body.Length, static (headers, length) => headers.AddOctets("x-received", length.ToString()), endStream: true);
        });
        await using var host = new Http2ServerTestHost(handler, new Http2ServerOptions { InitialStreamWindow = 65_536 });
        await using var connection = await host.ConnectFerryClientAsync();
        Assert.True(connection.TryOpenStream(static (headers, _) =>
        {
            foreach (var (name, value) in RawHttp2Client.Request())
            {
                headers.Add(name, value);
            }
        }, 0, endStream: false, flush: true, out var stream));
        using (stream)
        {
            var sending = stream.WriteDataAsync(new ReadOnlySequence<byte>(new byte[1024 * 1024]), endStream: true).AsTask();
            await Task.Delay(200);
            Assert.False(sending.IsCompleted);

            startReading.SetResult();
            Assert.Equal(65_536, await buffered.Task.WaitAsync(Timeout));
            await sending.WaitAsync(Timeout);
            await stream.ReadHeadersAsync().WaitAsync(Timeout);
            Assert.Contains(new KeyValuePair<string, string>("x-received", "1048576"), stream.Headers);
        }

        Assert.Empty(handler.Failures);
    }

    [Fact]
    public async Task Consumed_body_is_credited_back_once_half_the_window_was_used()
    {
        var handler = new TestStreamHandler(async stream =>
        {
            await TestStreamHandler.ReadBodyAsync(stream);
            stream.WriteHeaders(200, 0, static (_, _) => { }, endStream: true);
        });
        await using var host = new Http2ServerTestHost(handler, new Http2ServerOptions { InitialStreamWindow = 65_536 });
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        await client.SendRequestAsync(1);

        await client.SendDataAsync(1, new byte[20_000], endStream: false);
        await client.SendDataAsync(1, new byte[20_000], endStream: false);

        var update = await client.ReadFrameAsync(Http2FrameType.WindowUpdate, 1);
        Assert.True(ScriptedHttp2Server.ReadUInt32(update.Payload) >= 32_768);
        await client.SendDataAsync(1, [], endStream: true);
        Assert.Equal("200", (await client.ReadResponseAsync(1)).Header(":status"));
    }

    [Fact]
    public async Task A_request_window_the_client_fills_within_a_ping_round_trip_grows_as_the_handler_reads()
    {
        var handler = new TestStreamHandler(async stream =>
        {
            var body = await TestStreamHandler.ReadBodyAsync(stream);
            stream.WriteHeaders(200, body.Length, static (headers, length) => headers.AddOctets("x-received", length.ToString()), endStream: true);
        });
        await using var host = new Http2ServerTestHost(handler, new Http2ServerOptions { InitialStreamWindow = 65_536, MaxStreamWindow = 1024 * 1024 });
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);
        await client.SendRequestAsync(1);

        // A distant client: it spends its whole window, and only then sees (and answers) what the server sent meanwhile.
        var window = 65_536L;
        var sent = 0L;
        var largest = 0u;
        while (largest <= 65_536 && sent < 4 * 1024 * 1024)
        {
            for (; window >= 16_384; window -= 16_384, sent += 16_384)
            {
                await client.SendDataAsync(1, new byte[16_384], endStream: false);
            }

            var frame = await client.ReadFrameAsync(f => f.Header.Type is Http2FrameType.Ping or Http2FrameType.WindowUpdate);
            if (frame.Header.Type == Http2FrameType.Ping)
            {
                await client.WriteAsync(o => Http2FrameWriter.WritePing(o, ScriptedHttp2Server.ReadInt64(frame.Payload), ack: true));
            }
            else if (frame.Header.StreamId == 1)
            {
                var increment = ScriptedHttp2Server.ReadUInt32(frame.Payload);
                window += increment;
                largest = Math.Max(largest, increment);
            }
        }

        // Credit alone is at most the 64 KiB window; a larger grant is growth.
        Assert.InRange(largest, 65_537u, 1024u * 1024);
        await client.SendDataAsync(1, [], endStream: true);
        var response = await client.ReadResponseAsync(1);
        Assert.Equal(sent.ToString(), response.Header("x-received"));
        Assert.Empty(handler.Failures);
    }

    [Fact]
    public async Task A_write_waiting_for_window_can_be_cancelled()
    {
        var outcome = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestStreamHandler(async stream =>
        {
            Ok(stream);
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
            try
            {
                await stream.WriteDataAsync(new ReadOnlySequence<byte>(new byte[10]), endStream: false, cancel.Token);
                outcome.SetResult(null);
            }
            catch (Exception ex)
            {
                outcome.SetResult(ex);
            }
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port, (Http2SettingId.InitialWindowSize, 0));

        await client.SendRequestAsync(1, endStream: true);

        Assert.IsAssignableFrom<OperationCanceledException>(await outcome.Task.WaitAsync(Timeout));
        await client.ExpectRstStreamAsync(1, Http2ErrorCode.InternalError);
    }

    [Fact]
    public async Task Empty_data_with_end_stream_ends_the_response_without_any_window()
    {
        var handler = new TestStreamHandler(async stream =>
        {
            Ok(stream);
            await stream.WriteDataAsync(ReadOnlySequence<byte>.Empty, endStream: true);
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port, (Http2SettingId.InitialWindowSize, 0));

        await client.SendRequestAsync(1, endStream: true);

        var response = await client.ReadResponseAsync(1);
        Assert.Null(response.ResetCode);
        Assert.Empty(response.Body);
        Assert.Empty(handler.Failures);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_granting_huge_windows_and_not_reading_does_not_make_the_server_buffer_everything(bool sendOnSocket)
    {
        const int Chunk = 256 * 1024;
        const int Total = 32 * 1024 * 1024;
        var written = 0L;
        var handler = new TestStreamHandler(async stream =>
        {
            Ok(stream);
            var chunk = new ReadOnlySequence<byte>(new byte[Chunk]);
            for (var sent = 0; sent < Total; sent += Chunk)
            {
                await stream.WriteDataAsync(chunk, endStream: sent + Chunk == Total).AsTask().WaitAsync(Timeout);
                Interlocked.Add(ref written, Chunk);
            }
        });
        await using var host = new Http2ServerTestHost(handler, sendBufferSize: 16 * 1024, sendOnSocket: sendOnSocket);
        await using var client = await RawHttp2Client.ConnectAsync(host.Port, receiveBufferSize: 16 * 1024);
        await client.HandshakeAsync((Http2SettingId.InitialWindowSize, int.MaxValue));
        await client.SendWindowUpdateAsync(0, int.MaxValue - 65_535);

        await client.SendRequestAsync(1, endStream: true);

        // Wait until the handler's writes stop making progress.
        var last = -1L;
        for (var polls = 0; polls < 100 && Interlocked.Read(ref written) != last; polls++)
        {
            last = Interlocked.Read(ref written);
            await Task.Delay(150);
        }

        Assert.InRange(Interlocked.Read(ref written), 1, 8 * 1024 * 1024);
        var total = 0L;
        while (true)
        {
            var frame = await client.ReadFrameAsync(Http2FrameType.Data, 1);
            total += frame.Payload.Length;
            if (frame.Header.IsEndStream)
            {
                break;
            }
        }

        Assert.Equal(Total, total);
        Assert.Empty(handler.Failures);
    }
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Writes_larger_than_the_output_buffer_go_out_whole_in_pieces_beside_another_streams(bool sendOnSocket)
    {
        // Windows allow everything at once; the output buffer (64 KiB here) does not, so each write leaves in pieces
        // while the other stream's write waits for room too.
        var bodies = Enumerable.Range(1, 2).Select(n => Enumerable.Range(0, 1024 * 1024).Select(i => (byte)(i * n)).ToArray()).ToArray();
        var started = 0;
        var bothOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestStreamHandler(async stream =>
        {
            if (Interlocked.Increment(ref started) == 2)
            {
                bothOpen.SetResult();
            }

            await bothOpen.Task.WaitAsync(Timeout);
            Ok(stream);
            var body = bodies[(stream.Id - 1) / 2];
            Assert.False(stream.TryWriteData(new ReadOnlySequence<byte>(body), endStream: true), "more than the output buffer cannot be queued at once");
            await stream.WriteDataAsync(new ReadOnlySequence<byte>(body), endStream: true).AsTask().WaitAsync(Timeout);
        });
        await using var host = new Http2ServerTestHost(handler, new Http2ServerOptions { MaxBufferedOutput = 64 * 1024 }, sendOnSocket: sendOnSocket);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port, (Http2SettingId.InitialWindowSize, 16 * 1024 * 1024));
        await client.SendWindowUpdateAsync(0, 16 * 1024 * 1024);

        await client.SendRequestAsync(1, endStream: true);
        await client.SendRequestAsync(3, endStream: true);

        var received = new Dictionary<int, MemoryStream> { [1] = new(), [3] = new() };
        var ended = 0;
        while (ended < 2)
        {
            var frame = await client.ReadFrameAsync();
            if (frame.Header.Type != Http2FrameType.Data)
            {
                continue;
            }

            Assert.True(frame.Payload.Length <= 16_384, "DATA frames respect the client's max frame size.");
            received[frame.Header.StreamId].Write(frame.Payload);

            if (frame.Header.IsEndStream)
            {
                ended++;
            }
        }

        Assert.Equal(bodies[0], received[1].ToArray());
        Assert.Equal(bodies[1], received[3].ToArray());
        Assert.Empty(handler.Failures);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Bulk_responses_sharing_a_full_connection_take_turns(bool windowLimited)
    {
        // Three 1 MiB responses written at once to a client that reads only once all three wait, held back either by
        // the connection window (granted back frame by frame as the client reads) or by a small output buffer.
        const int Size = 1024 * 1024;
        var bodies = Enumerable.Range(1, 3).Select(n => Enumerable.Range(0, Size).Select(i => (byte)(i * n)).ToArray()).ToArray();
        var writing = 0;
        var allWriting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new TestStreamHandler(async stream =>
        {
            Ok(stream);
            var write = stream.WriteDataAsync(new ReadOnlySequence<byte>(bodies[(stream.Id - 1) / 2]), endStream: true).AsTask();
            if (Interlocked.Increment(ref writing) == 3)
            {
                allWriting.SetResult();
            }

            await write.WaitAsync(Timeout);
        });
        var options = windowLimited ? new Http2ServerOptions() : new Http2ServerOptions { MaxBufferedOutput = 64 * 1024 };
        await using var host = new Http2ServerTestHost(handler, options, sendBufferSize: 16 * 1024);
        await using var client = await RawHttp2Client.ConnectAsync(host.Port, receiveBufferSize: 16 * 1024);
        await client.HandshakeAsync((Http2SettingId.InitialWindowSize, 16 * 1024 * 1024));
        if (!windowLimited)
        {
            await client.SendWindowUpdateAsync(0, 16 * 1024 * 1024);
        }

        foreach (var id in new[] { 1, 3, 5 })
        {
            await client.SendRequestAsync(id, endStream: true);
        }

        await allWriting.Task.WaitAsync(Timeout);
        await Task.Delay(200);

        // What one stream queued before the others began writing leaves first; from when all three are seen, until
        // one ends, they must take turns.
        var received = new Dictionary<int, MemoryStream> { [1] = new(), [3] = new(), [5] = new() };
        var (runStream, run, longestRun, ended) = (0, 0L, 0L, 0);
        while (ended < 3)
        {
            var frame = await client.ReadFrameAsync();
            if (frame.Header.Type != Http2FrameType.Data)
            {
                continue;
            }

            if (windowLimited && frame.Payload.Length > 0)
            {
                await client.SendWindowUpdateAsync(0, frame.Payload.Length);
            }

            received[frame.Header.StreamId].Write(frame.Payload);
            if (ended == 0 && received.Values.All(r => r.Length > 0))
            {
                run = frame.Header.StreamId == runStream ? run + frame.Payload.Length : frame.Payload.Length;
                runStream = frame.Header.StreamId;
                longestRun = Math.Max(longestRun, run);
            }

            if (frame.Header.IsEndStream)
            {
                Assert.True(received.Values.All(r => r.Length > 0), $"stream {frame.Header.StreamId} ended before every stream had sent anything");
                ended++;
            }
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(bodies[i], received[(i * 2) + 1].ToArray());
        }

        Assert.True(longestRun <= 2 * Http2SendTurns<Http2ServerStream>.Share, $"while all three were sending, one sent {longestRun} bytes in a row");
        Assert.Empty(handler.Failures);
    }

    [Fact]
    public async Task A_write_cancelled_while_waiting_for_the_connection_window_gives_its_place_to_the_next()
    {
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = new TaskCompletionSource<(Task Cancelled, Task Next)>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();
        var streams = new TaskCompletionSource<Http2ServerStream>[] { new(), new(), new() };
        var handler = new TestStreamHandler(async stream =>
        {
            Ok(stream);
            var index = (stream.Id - 1) / 2;
            streams[index].SetResult(stream);
            if (index == 0)
            {
                // Takes the whole connection window.
                Assert.True(stream.TryWriteData(new ReadOnlySequence<byte>(new byte[65_535]), endStream: true));
                first.SetResult();
                return;
            }

            await first.Task.WaitAsync(Timeout);
            if (index == 1)
            {
                await stream.WriteDataAsync(new ReadOnlySequence<byte>(new byte[1000]), endStream: true, cancel.Token);
            }
            else
            {
                await stream.WriteDataAsync(new ReadOnlySequence<byte>(new byte[2000]), endStream: true).AsTask().WaitAsync(Timeout);
            }
        });
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.SendRequestAsync(1, endStream: true);
        Assert.Equal(65_535, (await ReadDataAsync(client, 1, 65_535)).Length);
        await client.SendRequestAsync(3, endStream: true);
        await streams[1].Task.WaitAsync(Timeout);
        await Task.Delay(100);
        await client.SendRequestAsync(5, endStream: true);
        await streams[2].Task.WaitAsync(Timeout);
        await Task.Delay(100);

        // Stream 3 is first in line for the window, stream 5 behind it; stream 3 gives up.
        cancel.Cancel();
        await client.SendWindowUpdateAsync(0, 10_000);

        Assert.Equal(2000, (await ReadDataAsync(client, 5, 2000)).Length);
        var failure = await WaitForFailureAsync(handler);
        Assert.IsAssignableFrom<OperationCanceledException>(failure);
    }

    private static async Task<Exception> WaitForFailureAsync(TestStreamHandler handler)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (handler.Failures.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        return Assert.Single(handler.Failures);
    }
}
