using System.Buffers;
using System.Buffers.Binary;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>Appends whole HTTP/2 frames to a buffer; the connection decides when the buffer goes out.</summary>
internal static class Http2FrameWriter
{
    /// <summary>The client connection preface (RFC 9113 section 3.4).</summary>
    public static ReadOnlySpan<byte> ClientPreface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public static void WriteSettings(IBufferWriter<byte> output, ReadOnlySpan<(Http2SettingId Id, uint Value)> settings)
    {
        var span = output.GetSpan(Http2FrameHeader.Size + settings.Length * 6);
        new Http2FrameHeader(settings.Length * 6, Http2FrameType.Settings, Http2FrameFlags.None, 0).Write(span);
        var offset = Http2FrameHeader.Size;
        foreach (var (id, value) in settings)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span[offset..], (ushort)id);
            BinaryPrimitives.WriteUInt32BigEndian(span[(offset + 2)..], value);
            offset += 6;
        }

        output.Advance(offset);
    }

    public static void WriteSettingsAck(IBufferWriter<byte> output)
    {
        new Http2FrameHeader(0, Http2FrameType.Settings, Http2FrameFlags.Ack, 0).Write(output.GetSpan(Http2FrameHeader.Size));
        output.Advance(Http2FrameHeader.Size);
    }

    public static void WritePing(IBufferWriter<byte> output, long payload, bool ack)
    {
        var span = output.GetSpan(Http2FrameHeader.Size + 8);
        new Http2FrameHeader(8, Http2FrameType.Ping, ack ? Http2FrameFlags.Ack : Http2FrameFlags.None, 0).Write(span);
        BinaryPrimitives.WriteInt64BigEndian(span[Http2FrameHeader.Size..], payload);
        output.Advance(Http2FrameHeader.Size + 8);
    }

    public static void WriteWindowUpdate(IBufferWriter<byte> output, int streamId, int increment)
    {
        var span = output.GetSpan(Http2FrameHeader.Size + 4);
        new Http2FrameHeader(4, Http2FrameType.WindowUpdate, Http2FrameFlags.None, streamId).Write(span);
        BinaryPrimitives.WriteUInt32BigEndian(span[Http2FrameHeader.Size..], (uint)increment);
        output.Advance(Http2FrameHeader.Size + 4);
    }

    public static void WriteRstStream(IBufferWriter<byte> output, int streamId, Http2ErrorCode errorCode)
    {
        var span = output.GetSpan(Http2FrameHeader.Size + 4);
        new Http2FrameHeader(4, Http2FrameType.RstStream, Http2FrameFlags.None, streamId).Write(span);
        BinaryPrimitives.WriteUInt32BigEndian(span[Http2FrameHeader.Size..], (uint)errorCode);
        output.Advance(Http2FrameHeader.Size + 4);
    }

    public static void WriteGoAway(IBufferWriter<byte> output, int lastStreamId, Http2ErrorCode errorCode) =>
        WriteGoAway(output, lastStreamId, errorCode, []);

    /// <summary>A GOAWAY whose opaque data carries <paramref name="debugData"/> (a short reason, for the peer's logs).</summary>
    public static void WriteGoAway(IBufferWriter<byte> output, int lastStreamId, Http2ErrorCode errorCode, ReadOnlySpan<byte> debugData)
    {
        var length = 8 + debugData.Length;
        var span = output.GetSpan(Http2FrameHeader.Size + length);
        new Http2FrameHeader(length, Http2FrameType.GoAway, Http2FrameFlags.None, 0).Write(span);
        BinaryPrimitives.WriteUInt32BigEndian(span[Http2FrameHeader.Size..], (uint)lastStreamId);
        BinaryPrimitives.WriteUInt32BigEndian(span[(Http2FrameHeader.Size + 4)..], (uint)errorCode);
        debugData.CopyTo(span[(Http2FrameHeader.Size + 8)..]);
        output.Advance(Http2FrameHeader.Size + length);
    }

    /// <summary>
    /// <paramref name="data"/> as DATA frames of at most <paramref name="maxFrameSize"/> octets, END_STREAM on the last.
    /// Room for all of them is taken at once: a buffer that grew frame by frame would copy what it held at each step.
    /// </summary>
    public static void WriteDataFrames(IBufferWriter<byte> output, int streamId, ReadOnlySequence<byte> data, bool endStream, int maxFrameSize)
    {
        var frames = data.IsEmpty ? 1 : (data.Length + maxFrameSize - 1) / maxFrameSize;
        output.GetSpan((int)(data.Length + frames * Http2FrameHeader.Size));
        do
        {
            var frame = data.Slice(0, Math.Min(data.Length, maxFrameSize));
            data = data.Slice(frame.Length);
            WriteData(output, streamId, frame, endStream && data.IsEmpty);
        }
        while (!data.IsEmpty);
    }

    /// <summary>A DATA frame whose payload is copied from <paramref name="payload"/> (at most the peer's max frame size).</summary>
    public static void WriteData(IBufferWriter<byte> output, int streamId, in ReadOnlySequence<byte> payload, bool endStream)
    {
        var length = (int)payload.Length;
        var span = output.GetSpan(Http2FrameHeader.Size + length);
        new Http2FrameHeader(length, Http2FrameType.Data, endStream ? Http2FrameFlags.EndStream : Http2FrameFlags.None, streamId).Write(span);
        payload.CopyTo(span[Http2FrameHeader.Size..]);
        output.Advance(Http2FrameHeader.Size + length);
    }

    /// <summary>A header block as HEADERS plus as many CONTINUATION frames as the peer's max frame size requires.</summary>
    public static void WriteHeaders(IBufferWriter<byte> output, int streamId, ReadOnlySpan<byte> block, bool endStream, int maxFrameSize)
    {
        var type = Http2FrameType.Headers;
        var flags = endStream ? Http2FrameFlags.EndStream : Http2FrameFlags.None;
        do
        {
            var length = Math.Min(block.Length, maxFrameSize);
            if (length == block.Length)
            {
                flags |= Http2FrameFlags.EndHeaders;
            }

            var span = output.GetSpan(Http2FrameHeader.Size + length);
            new Http2FrameHeader(length, type, flags, streamId).Write(span);
            block[..length].CopyTo(span[Http2FrameHeader.Size..]);
            output.Advance(Http2FrameHeader.Size + length);
            block = block[length..];
            type = Http2FrameType.Continuation;
            flags = Http2FrameFlags.None;
        }
        while (!block.IsEmpty);
    }
}
