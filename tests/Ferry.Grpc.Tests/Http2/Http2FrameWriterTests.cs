using System.Buffers;
using Ferry.Grpc.Http2;

namespace Ferry.Grpc.Tests.Http2;

public sealed class Http2FrameWriterTests
{
    [Fact]
    public void A_header_block_larger_than_a_frame_continues_in_continuation_frames()
    {
        var block = Enumerable.Range(0, 40_000).Select(i => (byte)i).ToArray();
        var output = new ArrayBufferWriter<byte>();

        Http2FrameWriter.WriteHeaders(output, 5, block, endStream: true, maxFrameSize: 16_384);

        var frames = new List<(Http2FrameHeader Header, byte[] Payload)>();
        var rest = new ReadOnlySequence<byte>(output.WrittenMemory);
        while (Http2FrameHeader.TryRead(rest, out var header))
        {
            frames.Add((header, rest.Slice(Http2FrameHeader.Size, header.Length).ToArray()));
            rest = rest.Slice(Http2FrameHeader.Size + header.Length);
        }

        Assert.Equal([Http2FrameType.Headers, Http2FrameType.Continuation, Http2FrameType.Continuation], frames.Select(f => f.Header.Type));
        Assert.Equal([16_384, 16_384, 40_000 - 32_768], frames.Select(f => f.Header.Length));
        Assert.All(frames, f => Assert.Equal(5, f.Header.StreamId));
        // END_STREAM belongs to the HEADERS frame, END_HEADERS to the last frame of the block only.
        Assert.Equal([Http2FrameFlags.EndStream, Http2FrameFlags.None, Http2FrameFlags.EndHeaders], frames.Select(f => f.Header.Flags));
        Assert.Equal(block, frames.SelectMany(f => f.Payload).ToArray());
    }

    [Fact]
    public void An_empty_header_block_is_one_headers_frame_with_end_headers()
    {
        var output = new ArrayBufferWriter<byte>();

        Http2FrameWriter.WriteHeaders(output, 1, [], endStream: false, maxFrameSize: 16_384);

        Assert.True(Http2FrameHeader.TryRead(new ReadOnlySequence<byte>(output.WrittenMemory), out var header));
        Assert.Equal(new Http2FrameHeader(0, Http2FrameType.Headers, Http2FrameFlags.EndHeaders, 1), header);
        Assert.Equal(Http2FrameHeader.Size, output.WrittenCount);
    }
}
