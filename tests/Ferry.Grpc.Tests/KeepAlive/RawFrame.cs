using System.Buffers.Binary;
using System.Text;

namespace Ferry.Grpc.Tests.KeepAlive;

/// <summary>One HTTP/2 frame as the raw client read it.</summary>
internal sealed record RawFrame(byte Type, byte Flags, int StreamId, byte[] Payload)
{
    public const byte Data = 0x0;
    public const byte Headers = 0x1;
    public const byte Settings = 0x4;
    public const byte Ping = 0x6;
    public const byte GoAway = 0x7;
    public const byte EndStreamOrAck = 0x1;
    public const byte EndHeaders = 0x4;

    public bool IsGoAway => Type == GoAway;

    public bool IsPingAck(long payload) =>
        Type == Ping && (Flags & EndStreamOrAck) != 0 && BinaryPrimitives.ReadInt64BigEndian(Payload) == payload;

    public int GoAwayLastStreamId => BinaryPrimitives.ReadInt32BigEndian(Payload) & 0x7FFF_FFFF;

    public uint GoAwayErrorCode => BinaryPrimitives.ReadUInt32BigEndian(Payload.AsSpan(4));

    public string GoAwayDebugData => Encoding.ASCII.GetString(Payload, 8, Payload.Length - 8);
}
