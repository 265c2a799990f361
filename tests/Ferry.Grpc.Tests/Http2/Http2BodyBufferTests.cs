using System.Buffers;
using System.IO.Pipelines;
using Ferry.Grpc.Http2;

namespace Ferry.Grpc.Tests.Http2;

/// <summary>The body buffer keeps a pipe's reading rules, under its owner's lock, and is safe to reuse.</summary>
public sealed class Http2BodyBufferTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly Lock _sync = new();

    [Fact]
    public void Appended_data_is_read_across_segments_and_consumed_in_parts()
    {
        var buffer = new Http2BodyBuffer(_sync);
        var first = Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray();
        var second = Enumerable.Range(0, 20000).Select(i => (byte)(i * 7)).ToArray();
        Append(buffer, first);
        Append(buffer, second);

        Assert.True(buffer.TryRead(out var read));
        Assert.Equal(first.Concat(second).ToArray(), read.Buffer.ToArray());
        Assert.False(read.IsCompleted);

        Assert.Equal(1000, buffer.AdvanceTo(read.Buffer.GetPosition(1000), read.Buffer.GetPosition(1000)));
        Assert.True(buffer.TryRead(out read));
        Assert.Equal(first.Skip(1000).Concat(second).ToArray(), read.Buffer.ToArray());
        Assert.Equal(22000, buffer.AdvanceTo(read.Buffer.End, read.Buffer.End));
        Assert.False(buffer.TryRead(out _));
    }

    [Fact]
    public async Task A_read_that_examined_everything_waits_for_more()
    {
        var buffer = new Http2BodyBuffer(_sync);
        Append(buffer, [1, 2, 3]);
        var read = await buffer.ReadAsync();
        buffer.AdvanceTo(read.Buffer.Start, read.Buffer.End);

        var waiting = buffer.ReadAsync().AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);

        // The wake runs outside the owner's lock, at the end of the read batch.
        using (Http2ReadBatch.Open())
        {
            Append(buffer, [4]);
            Assert.False(waiting.IsCompleted);
        }

        read = await waiting.WaitAsync(Timeout);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, read.Buffer.ToArray());
    }

    [Fact]
    public async Task The_end_of_the_body_and_a_failure_reach_a_waiting_reader()
    {
        var buffer = new Http2BodyBuffer(_sync);
        var waiting = buffer.ReadAsync().AsTask();
        Complete(buffer);
        var read = await waiting.WaitAsync(Timeout);
        Assert.True(read.IsCompleted);
        Assert.True(read.Buffer.IsEmpty);

        var failing = new Http2BodyBuffer(_sync);
        Append(failing, [1]);
        waiting = failing.ReadAsync().AsTask();
        read = await waiting.WaitAsync(Timeout);
        failing.AdvanceTo(read.Buffer.End, read.Buffer.End);
        waiting = failing.ReadAsync().AsTask();
        Complete(failing, new IOException("reset"));
        Assert.Equal("reset", (await Assert.ThrowsAsync<IOException>(() => waiting.WaitAsync(Timeout))).Message);
        Assert.Throws<IOException>(() => failing.TryRead(out _));
    }

    [Fact]
    public async Task Cancelling_returns_the_pending_read_or_else_the_next()
    {
        var buffer = new Http2BodyBuffer(_sync);
        var waiting = buffer.ReadAsync().AsTask();
        buffer.CancelPendingRead();
        Assert.True((await waiting.WaitAsync(Timeout)).IsCanceled);

        buffer.CancelPendingRead();
        var read = await buffer.ReadAsync();
        Assert.True(read.IsCanceled);
        Assert.False(buffer.TryRead(out _));
    }

    [Fact]
    public void A_reset_buffer_starts_empty_and_one_still_written_is_not_reused()
    {
        var buffer = new Http2BodyBuffer(_sync);
        Append(buffer, [1, 2, 3]);
        Complete(buffer);
        lock (_sync)
        {
            Assert.True(buffer.CompleteReaderAndReset());
        }

        Assert.False(buffer.TryRead(out _));
        Append(buffer, [9]);
        Assert.True(buffer.TryRead(out var read));
        Assert.Equal(new byte[] { 9 }, read.Buffer.ToArray());
        Assert.False(read.IsCompleted);

        lock (_sync)
        {
            Assert.False(buffer.CompleteReaderAndReset());
        }

        Assert.Throws<InvalidOperationException>(() => buffer.TryRead(out _));
    }

    [Fact]
    public void A_position_from_before_the_last_consume_is_refused()
    {
        var buffer = new Http2BodyBuffer(_sync);
        Append(buffer, new byte[5000]);
        Append(buffer, new byte[5000]);
        Assert.True(buffer.TryRead(out var stale));
        var end = stale.Buffer.End;
        buffer.AdvanceTo(end, end);
        Assert.Throws<InvalidOperationException>(() => buffer.AdvanceTo(stale.Buffer.Start, stale.Buffer.Start));
    }

    [Fact]
    public async Task Bytes_written_on_one_thread_arrive_whole_and_in_order_on_another()
    {
        var buffer = new Http2BodyBuffer(_sync);
        var expected = Enumerable.Range(0, 1 << 20).Select(i => (byte)(i * 31)).ToArray();
        var reader = Task.Run(async () =>
        {
            var received = new List<byte>();
            while (true)
            {
                var read = await buffer.ReadAsync();
                received.AddRange(read.Buffer.ToArray());
                buffer.AdvanceTo(read.Buffer.End, read.Buffer.End);
                if (read.IsCompleted)
                {
                    return received.ToArray();
                }
            }
        });

        for (var offset = 0; offset < expected.Length; offset += 1000)
        {
            Append(buffer, expected.AsSpan(offset, Math.Min(1000, expected.Length - offset)).ToArray());
        }

        Complete(buffer);
        Assert.Equal(expected, await reader.WaitAsync(Timeout));
    }

    private void Append(Http2BodyBuffer buffer, byte[] data)
    {
        lock (_sync)
        {
            buffer.Append(new ReadOnlySequence<byte>(data));
        }
    }

    private void Complete(Http2BodyBuffer buffer, Exception? error = null)
    {
        lock (_sync)
        {
            buffer.CompleteWriter(error);
        }
    }
}
