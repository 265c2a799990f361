using System.Buffers;

namespace Ferry.Grpc;

/// <summary>
/// Turns messages into bytes and back. Serialization writes straight into the transport's pooled buffer and
/// deserialization reads from the received (possibly multi-segment) buffer, so no intermediate arrays are needed.
/// </summary>
public sealed class Marshaller<T>
{
    public Marshaller(Action<T, IBufferWriter<byte>> serializer, Func<ReadOnlySequence<byte>, T> deserializer, Func<T, int>? sizeCalculator = null)
    {
        Serializer = serializer ?? throw new ArgumentNullException(nameof(serializer));
        Deserializer = deserializer ?? throw new ArgumentNullException(nameof(deserializer));
        SizeCalculator = sizeCalculator;
    }

    public Action<T, IBufferWriter<byte>> Serializer { get; }

    public Func<ReadOnlySequence<byte>, T> Deserializer { get; }

    /// <summary>
    /// Optional: the exact serialized size. With it, an uncompressed message is serialized straight into the
    /// transport after its length prefix instead of through a staging buffer.
    /// </summary>
    public Func<T, int>? SizeCalculator { get; }
}

public static class Marshallers
{
    /// <summary>A marshaller for a Google.Protobuf message type.</summary>
    public static Marshaller<T> Protobuf<T>(Google.Protobuf.MessageParser<T> parser)
        where T : Google.Protobuf.IMessage<T> =>
        new(
            static (message, writer) => Google.Protobuf.MessageExtensions.WriteTo(message, writer),
            parser.ParseFrom,
            static message => message.CalculateSize());

    /// <summary>Passes bytes through untouched; what a proxy or a test that speaks raw frames needs.</summary>
    public static Marshaller<byte[]> Bytes { get; } = new(
        static (message, writer) => writer.Write(message),
        static sequence => sequence.ToArray(),
        static message => message.Length);
}
