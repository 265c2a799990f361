namespace Ferry.Grpc.Http2;

/// <summary>HTTP/2 frame flags; the same bit means different things on different frame types.</summary>
[Flags]
internal enum Http2FrameFlags : byte
{
    None = 0x0,
    EndStream = 0x1,
    Ack = 0x1,
    EndHeaders = 0x4,
    Padded = 0x8,
    Priority = 0x20,
}
