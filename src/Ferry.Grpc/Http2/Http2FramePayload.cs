using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>Reading the fixed parts of frame payloads, the same for both ends of a connection (RFC 9113 section 6).</summary>
internal static class Http2FramePayload
{
    /// <summary>
    /// Takes one whole frame off the front of <paramref name="buffer"/> if it is all there. The length is checked
    /// against <paramref name="maxFrameSize"/> (what this end advertised) before the payload is buffered, so a huge
    /// length costs nothing.
    /// </summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameSize, out Http2FrameHeader header, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        if (!Http2FrameHeader.TryRead(buffer, out header))
        {
            return false;
        }

        if (header.Length > maxFrameSize)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"{header.Type} frame of {header.Length} bytes exceeds the {maxFrameSize}-byte limit.");
        }

        if (buffer.Length < Http2FrameHeader.Size + header.Length)
        {
            return false;
        }

        payload = buffer.Slice(Http2FrameHeader.Size, header.Length);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    /// <summary>The payload of a DATA or HEADERS frame without its padding (section 6.1); a pad as long as the frame is a connection error.</summary>
    public static ReadOnlySequence<byte> RemovePadding(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (!header.HasFlag(Http2FrameFlags.Padded))
        {
            return payload;
        }

        if (payload.IsEmpty)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"Padded {header.Type} frame without a pad length.");
        }

        var padLength = payload.FirstSpan[0];
        if (padLength >= payload.Length)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{header.Type} frame padding as long as the frame.");
        }

        return payload.Slice(1, payload.Length - 1 - padLength);
    }

    /// <summary>A frame whose payload has a fixed size (PING, RST_STREAM, WINDOW_UPDATE) of another size is a connection error.</summary>
    public static void RequireLength(Http2FrameHeader header, int length)
    {
        if (header.Length != length)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"{header.Type} frame of {header.Length} bytes; expected {length}.");
        }
    }

    public static uint ReadUInt32(in ReadOnlySequence<byte> payload)
    {
        Span<byte> bytes = stackalloc byte[4];
        payload.Slice(0, 4).CopyTo(bytes);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    public static long ReadInt64(in ReadOnlySequence<byte> payload)
    {
        Span<byte> bytes = stackalloc byte[8];
        payload.Slice(0, 8).CopyTo(bytes);
        return BinaryPrimitives.ReadInt64BigEndian(bytes);
    }
}
