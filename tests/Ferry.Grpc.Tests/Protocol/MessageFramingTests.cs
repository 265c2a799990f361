using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Ferry.Grpc.Compression;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Tests.Protocol;

public sealed class MessageFramingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void Writes_flag_big_endian_length_and_payload()
    {
        using var scratch = new PooledBufferWriter();
        var output = new ArrayBufferWriter<byte>();
        MessageFraming.WriteMessage(output, [0xAA, 0xBB, 0xCC], Marshallers.Bytes, compression: null, int.MaxValue, scratch);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 3, 0xAA, 0xBB, 0xCC }, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Writes_an_empty_message_as_a_bare_prefix()
    {
        using var scratch = new PooledBufferWriter();
        var output = new ArrayBufferWriter<byte>();
        MessageFraming.WriteMessage(output, [], Marshallers.Bytes, compression: null, int.MaxValue, scratch);
        Assert.Equal(new byte[5], output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Writing_over_the_send_limit_fails_with_resource_exhausted()
    {
        using var scratch = new PooledBufferWriter();
        var output = new ArrayBufferWriter<byte>();
        var error = Assert.Throws<RpcException>(() => MessageFraming.WriteMessage(output, new byte[11], Marshallers.Bytes, null, 10, scratch));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void Compressed_messages_set_the_flag_and_round_trip()
    {
        using var scratch = new PooledBufferWriter();
        var output = new ArrayBufferWriter<byte>();
        var gzip = new GzipCompressionProvider();
        var payload = Enumerable.Repeat((byte)'a', 10_000).ToArray();
        MessageFraming.WriteMessage(output, payload, Marshallers.Bytes, gzip, int.MaxValue, scratch);
        Assert.Equal(1, output.WrittenSpan[0]);
        Assert.True(output.WrittenCount < 1_000);

        var buffer = new ReadOnlySequence<byte>(output.WrittenMemory);
        Assert.True(MessageFraming.TryReadMessage(ref buffer, int.MaxValue, out var compressed, out var body));
        Assert.True(compressed);
        Assert.Equal(payload, MessageFraming.Deserialize(body, compressed, gzip, Marshallers.Bytes, int.MaxValue, scratch));
    }

    [Fact]
    public void Reads_many_messages_from_one_buffer()
    {
        var bytes = Frames(Enumerable.Range(0, 100).Select(i => Enumerable.Repeat((byte)i, i).ToArray()));
        var buffer = new ReadOnlySequence<byte>(bytes);
        for (var i = 0; i < 100; i++)
        {
            Assert.True(MessageFraming.TryReadMessage(ref buffer, int.MaxValue, out var compressed, out var payload));
            Assert.False(compressed);
            Assert.Equal(Enumerable.Repeat((byte)i, i).ToArray(), payload.ToArray());
        }

        Assert.True(buffer.IsEmpty);
        Assert.False(MessageFraming.TryReadMessage(ref buffer, int.MaxValue, out _, out _));
    }

    public static TheoryData<int[]> Cuts => new()
    {
        new[] { 1 },
        new[] { 4 },
        new[] { 1, 2, 3, 4 },
        new[] { 5 },
        new[] { 7 },
        new[] { 2, 9, 11 },
    };

    [Theory]
    [MemberData(nameof(Cuts))]
    public void Reads_a_message_whose_prefix_and_payload_span_segments(int[] cuts)
    {
        byte[] message = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        var bytes = Frames([message, [42]]);
        var buffer = Segments.Split(bytes, cuts);
        Assert.True(MessageFraming.TryReadMessage(ref buffer, int.MaxValue, out _, out var payload));
        Assert.Equal(message, payload.ToArray());
        Assert.True(MessageFraming.TryReadMessage(ref buffer, int.MaxValue, out _, out payload));
        Assert.Equal(new byte[] { 42 }, payload.ToArray());
        Assert.True(buffer.IsEmpty);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(14)]
    public void An_incomplete_message_leaves_the_buffer_untouched(int available)
    {
        var bytes = Frames([new byte[10]]);
        var buffer = new ReadOnlySequence<byte>(bytes, 0, available);
        Assert.False(MessageFraming.TryReadMessage(ref buffer, int.MaxValue, out _, out _));
        Assert.Equal(available, buffer.Length);
    }

    [Fact]
    public void A_length_over_the_limit_is_refused_at_the_prefix()
    {
        // Only the five prefix bytes are there: the limit is enforced before any payload is buffered.
        var buffer = new ReadOnlySequence<byte>(Prefix(0, 1_000_001));
        var error = Assert.Throws<RpcException>(() => MessageFraming.TryReadMessage(ref buffer, 1_000_000, out _, out _));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public void A_length_over_the_limit_is_refused_when_the_prefix_is_split()
    {
        var buffer = Segments.Split(Prefix(0, uint.MaxValue), 1, 3);
        var error = Assert.Throws<RpcException>(() => MessageFraming.TryReadMessage(ref buffer, int.MaxValue, out _, out _));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public void A_length_exactly_at_the_limit_is_accepted()
    {
        var buffer = new ReadOnlySequence<byte>(Frames([new byte[100]]));
        Assert.True(MessageFraming.TryReadMessage(ref buffer, 100, out _, out var payload));
        Assert.Equal(100, payload.Length);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(0x80)]
    [InlineData(0xFF)]
    public void An_invalid_compressed_flag_is_refused(byte flag)
    {
        var buffer = new ReadOnlySequence<byte>([.. Prefix(flag, 1), 0]);
        var error = Assert.Throws<RpcException>(() => MessageFraming.TryReadMessage(ref buffer, int.MaxValue, out _, out _));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.Contains(flag.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Status.Detail);
    }

    [Fact]
    public void A_compressed_message_without_an_encoding_is_internal()
    {
        using var scratch = new PooledBufferWriter();
        var error = Assert.Throws<RpcException>(() => MessageFraming.Deserialize(new ReadOnlySequence<byte>([1, 2]), compressed: true, encoding: null, Marshallers.Bytes, int.MaxValue, scratch));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public void Corrupt_compressed_data_is_internal()
    {
        using var scratch = new PooledBufferWriter();
        var error = Assert.Throws<RpcException>(() => MessageFraming.Deserialize(new ReadOnlySequence<byte>([1, 2, 3, 4, 5, 6]), compressed: true, new GzipCompressionProvider(), Marshallers.Bytes, int.MaxValue, scratch));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public void A_message_that_inflates_past_the_limit_is_resource_exhausted()
    {
        using var scratch = new PooledBufferWriter();
        var output = new ArrayBufferWriter<byte>();
        var gzip = new GzipCompressionProvider();
        MessageFraming.WriteMessage(output, new byte[1_000_000], Marshallers.Bytes, gzip, int.MaxValue, scratch);
        var buffer = new ReadOnlySequence<byte>(output.WrittenMemory);
        Assert.True(MessageFraming.TryReadMessage(ref buffer, 100_000, out var compressed, out var payload));
        var error = Assert.Throws<RpcException>(() => MessageFraming.Deserialize(payload, compressed, gzip, Marshallers.Bytes, 100_000, scratch));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public void A_payload_the_marshaller_cannot_parse_is_internal()
    {
        using var scratch = new PooledBufferWriter();
        var marshaller = Marshallers.Protobuf(global::Grpc.Testing.SimpleRequest.Parser);
        var error = Assert.Throws<RpcException>(() => MessageFraming.Deserialize(new ReadOnlySequence<byte>([0xFF, 0xFF, 0xFF]), false, null, marshaller, int.MaxValue, scratch));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task Pipe_reader_waits_for_a_message_split_across_writes()
    {
        var pipe = new Pipe();
        using var scratch = new PooledBufferWriter();
        var bytes = Frames([[1, 2, 3, 4, 5, 6, 7, 8]]);
        var read = PipeMessageReader.ReadAsync(pipe.Reader, Marshallers.Bytes, int.MaxValue, null, scratch, CancellationToken.None).AsTask();

        foreach (var chunk in bytes.Chunk(3))
        {
            Assert.False(read.IsCompleted);
            await pipe.Writer.WriteAsync(chunk).AsTask().WaitAsync(Timeout);
        }

        var (hasMessage, message, compressed) = await read.WaitAsync(Timeout);
        Assert.True(hasMessage);
        Assert.False(compressed);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, message);
    }

    [Fact]
    public async Task Pipe_reader_reads_many_messages_from_one_write_then_ends_cleanly()
    {
        var pipe = new Pipe();
        using var scratch = new PooledBufferWriter();
        var messages = Enumerable.Range(0, 1_000).Select(i => BitConverter.GetBytes(i)).ToArray();
        await pipe.Writer.WriteAsync(Frames(messages)).AsTask().WaitAsync(Timeout);
        await pipe.Writer.CompleteAsync().AsTask().WaitAsync(Timeout);

        foreach (var expected in messages)
        {
            var (hasMessage, message, _) = await PipeMessageReader.ReadAsync(pipe.Reader, Marshallers.Bytes, int.MaxValue, null, scratch, CancellationToken.None).AsTask().WaitAsync(Timeout);
            Assert.True(hasMessage);
            Assert.Equal(expected, message);
        }

        var end = await PipeMessageReader.ReadAsync(pipe.Reader, Marshallers.Bytes, int.MaxValue, null, scratch, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.False(end.HasMessage);
    }

    [Fact]
    public async Task Pipe_reader_hands_out_buffered_messages_without_waiting_for_more_bytes()
    {
        // Three messages arrive in one write and the writer stays open (a stream that pauses): every one of them must
        // be readable now, not when the next bytes or the end of the stream arrive.
        var pipe = new Pipe();
        using var scratch = new PooledBufferWriter();
        await pipe.Writer.WriteAsync(Frames([[1], [2, 2], [3, 3, 3]])).AsTask().WaitAsync(Timeout);

        foreach (var expected in new byte[][] { [1], [2, 2], [3, 3, 3] })
        {
            var (hasMessage, message, _) = await PipeMessageReader.ReadAsync(pipe.Reader, Marshallers.Bytes, int.MaxValue, null, scratch, CancellationToken.None).AsTask().WaitAsync(Timeout);
            Assert.True(hasMessage);
            Assert.Equal(expected, message);
        }

        var next = PipeMessageReader.ReadAsync(pipe.Reader, Marshallers.Bytes, int.MaxValue, null, scratch, CancellationToken.None).AsTask();
        Assert.False(next.IsCompleted);
        await pipe.Writer.CompleteAsync().AsTask().WaitAsync(Timeout);
        Assert.False((await next.WaitAsync(Timeout)).HasMessage);
    }

    [Fact]
    public async Task Pipe_reader_over_a_stream_hands_out_buffered_messages_without_waiting_for_more_bytes()
    {
        // The client reads through PipeReader.Create(stream): the same must hold there.
        var pipe = new Pipe();
        var reader = PipeReader.Create(pipe.Reader.AsStream(), new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));
        using var scratch = new PooledBufferWriter();
        await pipe.Writer.WriteAsync(Frames([[1], [2, 2]])).AsTask().WaitAsync(Timeout);

        var first = await PipeMessageReader.ReadAsync(reader, Marshallers.Bytes, int.MaxValue, null, scratch, CancellationToken.None).AsTask().WaitAsync(Timeout);
        var second = await PipeMessageReader.ReadAsync(reader, Marshallers.Bytes, int.MaxValue, null, scratch, CancellationToken.None).AsTask().WaitAsync(Timeout);
        Assert.Equal(new byte[] { 1 }, first.Message);
        Assert.Equal(new byte[] { 2, 2 }, second.Message);
        await pipe.Writer.CompleteAsync().AsTask().WaitAsync(Timeout);
    }

    [Fact]
    public async Task Pipe_reader_refuses_an_oversized_length_without_waiting_for_the_payload()
    {
        var pipe = new Pipe();
        using var scratch = new PooledBufferWriter();
        await pipe.Writer.WriteAsync(Prefix(0, 5 * 1024 * 1024)).AsTask().WaitAsync(Timeout);

        // The writer stays open: the reader must decide from the prefix alone.
        var error = await Assert.ThrowsAsync<RpcException>(() => PipeMessageReader.ReadAsync(pipe.Reader, Marshallers.Bytes, 4 * 1024 * 1024, null, scratch, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(15)]
    public async Task Pipe_reader_reports_a_stream_that_ends_inside_a_message(int available)
    {
        var pipe = new Pipe();
        using var scratch = new PooledBufferWriter();
        var bytes = Frames([new byte[100]]);
        await pipe.Writer.WriteAsync(bytes.AsMemory(0, available)).AsTask().WaitAsync(Timeout);
        await pipe.Writer.CompleteAsync().AsTask().WaitAsync(Timeout);

        var error = await Assert.ThrowsAsync<RpcException>(() => PipeMessageReader.ReadAsync(pipe.Reader, Marshallers.Bytes, int.MaxValue, null, scratch, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task Pipe_reader_refuses_an_invalid_flag()
    {
        var pipe = new Pipe();
        using var scratch = new PooledBufferWriter();
        await pipe.Writer.WriteAsync(Prefix(7, 0)).AsTask().WaitAsync(Timeout);
        var error = await Assert.ThrowsAsync<RpcException>(() => PipeMessageReader.ReadAsync(pipe.Reader, Marshallers.Bytes, int.MaxValue, null, scratch, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    [Fact]
    public async Task Pipe_reader_can_be_cancelled_while_waiting()
    {
        var pipe = new Pipe();
        using var scratch = new PooledBufferWriter();
        using var cts = new CancellationTokenSource();
        var read = PipeMessageReader.ReadAsync(pipe.Reader, Marshallers.Bytes, int.MaxValue, null, scratch, cts.Token).AsTask();
        await cts.CancelAsync().WaitAsync(Timeout);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(Timeout));
    }

    internal static byte[] Prefix(byte flag, uint length)
    {
        var prefix = new byte[5];
        prefix[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), length);
        return prefix;
    }

    internal static byte[] Frames(IEnumerable<byte[]> messages)
    {
        var output = new List<byte>();
        foreach (var message in messages)
        {
            output.AddRange(Prefix(0, (uint)message.Length));
            output.AddRange(message);
        }

        return [.. output];
    }
}
