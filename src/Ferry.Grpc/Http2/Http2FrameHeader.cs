using System.Buffers;
using System.Buffers.Binary;

namespace Ferry.Grpc.Http2;

/// <summary>The 9-byte header in front of every HTTP/2 frame.</summary>
internal readonly record struct Http2FrameHeader(int Length, Http2FrameType Type, Http2FrameFlags Flags, int StreamId)
{
    public const int Size = 9;

    public bool HasFlag(Http2FrameFlags flag) => (Flags & flag) != 0;

    /// <summary>Reads a header from the start of <paramref name="buffer"/>; false if fewer than 9 bytes are there.</summary>
    public static bool TryRead(in ReadOnlySequence<byte> buffer, out Http2FrameHeader header)
    {
        Span<byte> bytes = stackalloc byte[Size];
        if (buffer.FirstSpan.Length >= Size)
        {
            buffer.FirstSpan[..Size].CopyTo(bytes);
        }
        else if (buffer.Length >= Size)
        {
            buffer.Slice(0, Size).CopyTo(bytes);
        }
        else
        {
            header = default;
            return false;
        }

        header = Read(bytes);
        return true;
    }

    /// <summary>Reads a header from the first 9 bytes of <paramref name="bytes"/>.</summary>
    public static Http2FrameHeader Read(ReadOnlySpan<byte> bytes) => new(
        bytes[0] << 16 | bytes[1] << 8 | bytes[2],
        (Http2FrameType)bytes[3],
        (Http2FrameFlags)bytes[4],
        (int)(BinaryPrimitives.ReadUInt32BigEndian(bytes[5..]) & 0x7FFF_FFFF));

    /// <summary>END_STREAM on HEADERS and DATA (the same bit means ACK on other frames).</summary>
    public bool IsEndStream => HasFlag(Http2FrameFlags.EndStream) && Type is Http2FrameType.Headers or Http2FrameType.Data;

    /// <summary>A PING that asks for an answer (not an acknowledgement).</summary>
    public bool IsPingRequest => Type == Http2FrameType.Ping && !HasFlag(Http2FrameFlags.Ack);

    public void Write(Span<byte> destination)
    {
        destination[0] = (byte)(Length >> 16);
        destination[1] = (byte)(Length >> 8);
        destination[2] = (byte)Length;
        destination[3] = (byte)Type;
        destination[4] = (byte)Flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)StreamId & 0x7FFF_FFFF);
    }
}
