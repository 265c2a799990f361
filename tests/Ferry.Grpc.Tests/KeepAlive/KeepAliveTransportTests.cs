using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Ferry.Grpc.AspNetCore.Hosting;
using Ferry.Grpc.Http2;

namespace Ferry.Grpc.Tests.KeepAlive;

/// <summary>The transport wrappers on their own, over in-memory pipes, driven the way Kestrel drives them.</summary>
public sealed class KeepAliveTransportTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    private readonly ManualClock _clock = new();
    private readonly LogCapture _log = new(KeepAliveLog.Category);

    [Fact]
    public async Task EachPingIsCountedOnceThoughItIsReadAgainUntilConsumed()
    {
        using var enforcer = Enforcer(out _);
        var pipe = new Pipe();
        var reader = new KeepAliveInboundReader(pipe.Reader, enforcer);
        var ping = Http2FrameScannerTests.Frame(new(8, Http2FrameType.Ping, Http2FrameFlags.None, 0));
        await pipe.Writer.WriteAsync((byte[])[.. Http2FrameScanner.ClientPreface, .. ping, .. ping[..5]]).AsTask().WaitAsync(s_timeout);

        // Like Kestrel: consume whole frames only, leaving a partial frame for the next read.
        var result = await reader.ReadAsync().AsTask().WaitAsync(s_timeout);
        reader.AdvanceTo(result.Buffer.GetPosition(Http2FrameScanner.ClientPreface.Length + ping.Length), result.Buffer.End);
        await pipe.Writer.WriteAsync((byte[])[.. ping[5..], .. ping, .. ping]).AsTask().WaitAsync(s_timeout);
        result = await reader.ReadAsync().AsTask().WaitAsync(s_timeout);
        var afterOne = result.Buffer.GetPosition(ping.Length);
        reader.AdvanceTo(afterOne, afterOne);

        // The same two pings are returned twice before they are consumed.
        result = await reader.ReadAsync().AsTask().WaitAsync(s_timeout);
        Assert.Equal(2 * ping.Length, result.Buffer.Length);
        reader.AdvanceTo(result.Buffer.Start);
        Assert.True(reader.TryRead(out result));
        Assert.Equal(2 * ping.Length, result.Buffer.Length);
        reader.AdvanceTo(result.Buffer.End);

        Assert.Equal(4, _log.Count("PingReceived"));
        Assert.True(enforcer.IsGoAwayDue);
    }

    [Fact]
    public async Task GoAwayWaitsForTheFrameBeingWrittenToEnd()
    {
        using var enforcer = Enforcer(out _);
        var pipe = new Pipe();
        var writer = new KeepAliveOutboundWriter(pipe.Writer, enforcer);
        var data = Http2FrameScannerTests.Frame(new(100, Http2FrameType.Data, Http2FrameFlags.None, 1));

        Write(writer, data.AsSpan(0, 50));
        SendAway(enforcer);
        await writer.FlushAsync().AsTask().WaitAsync(s_timeout);
        Assert.Equal(data[..50], ReadFlushed(pipe.Reader));

        Write(writer, data.AsSpan(50));
        await writer.FlushAsync().AsTask().WaitAsync(s_timeout);
        var sent = ReadFlushed(pipe.Reader);

        Assert.Equal(data[50..], sent[..(data.Length - 50)]);
        var goAway = sent[(data.Length - 50)..];
        Assert.Equal(Http2FrameType.GoAway, Http2FrameHeader.Read(goAway).Type);
        Assert.Equal(0xbu, BinaryPrimitives.ReadUInt32BigEndian(goAway.AsSpan(13)));
        Assert.Equal("too_many_pings"u8.ToArray(), goAway[17..]);
        Assert.False(enforcer.IsGoAwayDue);

        await writer.WriteAsync(Http2FrameScannerTests.Frame(new(8, Http2FrameType.Ping, Http2FrameFlags.Ack, 0))).AsTask().WaitAsync(s_timeout);
        Assert.Equal(17, (ReadFlushed(pipe.Reader)).Length);
    }

    [Fact]
    public async Task TheConnectionIsAbortedAfterTheGracePeriod()
    {
        using var enforcer = Enforcer(out var aborted, new ServerKeepAliveOptions { GoAwayGracePeriod = TimeSpan.FromMilliseconds(10) });

        SendAway(enforcer);

        await aborted.WaitAsync(s_timeout);
        Assert.Equal(["TooManyPings", "ClosingAfterGoAway"], _log.EventNames.Where(n => n is "TooManyPings" or "ClosingAfterGoAway"));
    }

    [Fact]
    public void ServerHeadersClearTheStrikes()
    {
        using var enforcer = Enforcer(out _);
        var ping = new Http2FrameHeader(8, Http2FrameType.Ping, Http2FrameFlags.None, 0);
        for (var i = 0; i < 3; i++)
        {
            enforcer.OnClientFrame(ping);
        }

        enforcer.OnServerFrame(new Http2FrameHeader(10, Http2FrameType.Headers, Http2FrameFlags.EndHeaders, 1));
        for (var i = 0; i < 3; i++)
        {
            enforcer.OnClientFrame(ping);
        }

        Assert.False(enforcer.IsGoAwayDue);
        enforcer.OnClientFrame(ping);
        Assert.True(enforcer.IsGoAwayDue);
    }

    private static void SendAway(KeepAliveEnforcer enforcer)
    {
        for (var i = 0; i < 4; i++)
        {
            enforcer.OnClientFrame(new Http2FrameHeader(8, Http2FrameType.Ping, Http2FrameFlags.None, 0));
        }

        Assert.True(enforcer.IsGoAwayDue);
    }

    private static void Write(PipeWriter writer, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(writer.GetSpan(bytes.Length));
        writer.Advance(bytes.Length);
    }

    /// <summary>What the writer flushed so far (a flush to a <see cref="Pipe"/> makes it readable at once).</summary>
    private static byte[] ReadFlushed(PipeReader reader)
    {
        Assert.True(reader.TryRead(out var result));
        var bytes = result.Buffer.ToArray();
        reader.AdvanceTo(result.Buffer.End);
        return bytes;
    }

    private KeepAliveEnforcer Enforcer(out Task aborted, ServerKeepAliveOptions? options = null)
    {
        var abort = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        aborted = abort.Task;
        return new KeepAliveEnforcer(
            (options ?? new ServerKeepAliveOptions()) with { TimeProvider = _clock },
            "test",
            () => abort.TrySetResult(),
            _log.CreateLogger(KeepAliveLog.Category));
    }
}
