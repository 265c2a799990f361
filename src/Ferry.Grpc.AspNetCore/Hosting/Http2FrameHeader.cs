using System.Buffers.Binary;

namespace Ferry.Grpc.AspNetCore.Hosting;

/// <summary>HTTP/2 frame types (RFC 9113 section 6) that keepalive enforcement looks at.</summary>
internal enum Http2FrameType : byte
{
    Data = 0x0,
    Headers = 0x1,
    RstStream = 0x3,
    Settings = 0x4,
    Ping = 0x6,
    GoAway = 0x7,
}

/// <summary>The 9-byte header of an HTTP/2 frame (RFC 9113 section 4.1): all that keepalive enforcement reads.</summary>
internal readonly record struct Http2FrameHeader(int PayloadLength, Http2FrameType Type, byte Flags, int StreamId)
{
    public const int Size = 9;

    /// <summary>END_STREAM on HEADERS and DATA; the same bit is ACK on PING and SETTINGS.</summary>
    private const byte EndStreamOrAck = 0x1;

    public bool IsEndStream => (Flags & EndStreamOrAck) != 0 && Type is Http2FrameType.Headers or Http2FrameType.Data;

    public bool IsPingRequest => Type == Http2FrameType.Ping && (Flags & EndStreamOrAck) == 0;

    public static Http2FrameHeader Read(ReadOnlySpan<byte> header) => new(
        header[0] << 16 | header[1] << 8 | header[2],
        (Http2FrameType)header[3],
        header[4],
        (int)(BinaryPrimitives.ReadUInt32BigEndian(header[5..]) & 0x7FFF_FFFF));

    public static void Write(Span<byte> destination, int payloadLength, Http2FrameType type, byte flags, int streamId)
    {
        destination[0] = (byte)(payloadLength >> 16);
        destination[1] = (byte)(payloadLength >> 8);
        destination[2] = (byte)payloadLength;
        destination[3] = (byte)type;
        destination[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)streamId & 0x7FFF_FFFF);
    }
}
