using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Ferry.Grpc.Compression;

namespace Ferry.Grpc.Protocol;

/// <summary>
/// The length-prefixed message format shared by client and server:
/// <c>[compressed flag: 1 byte][length: 4 bytes big-endian][payload]</c>.
/// </summary>
internal static class MessageFraming
{
    /// <summary>
    /// Takes one whole message off the front of <paramref name="buffer"/> if it is all there. The declared length is
    /// checked against the limit before anything is buffered, so an oversized message is refused at its prefix.
    /// </summary>
    public static bool TryReadMessage(ref ReadOnlySequence<byte> buffer, int maxMessageSize, out bool compressed, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        compressed = false;
        if (buffer.Length < GrpcProtocol.MessagePrefixSize)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[GrpcProtocol.MessagePrefixSize];
        if (buffer.FirstSpan.Length >= GrpcProtocol.MessagePrefixSize)
        {
            buffer.FirstSpan[..GrpcProtocol.MessagePrefixSize].CopyTo(prefix);
        }
        else
        {
            buffer.Slice(0, GrpcProtocol.MessagePrefixSize).CopyTo(prefix);
        }

        compressed = prefix[0] switch
        {
            0 => false,
            1 => true,
            _ => throw new RpcException(new Status(StatusCode.Internal, $"Invalid message prefix: compressed flag is {prefix[0]}, expected 0 or 1.")),
        };
        var length = BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
        if (length > (uint)maxMessageSize)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Received message larger than max ({length} vs. {maxMessageSize})."));
        }

        if (buffer.Length < GrpcProtocol.MessagePrefixSize + length)
        {
            return false;
        }

        payload = buffer.Slice(GrpcProtocol.MessagePrefixSize, length);
        buffer = buffer.Slice(payload.End);
        return true;
    }

    /// <summary>
    /// Turns a received payload into a message, decompressing first when the flag says so.
    /// </summary>
    public static T Deserialize<T>(
        ReadOnlySequence<byte> payload,
        bool compressed,
        ICompressionProvider? encoding,
        Marshaller<T> marshaller,
        int maxMessageSize,
        PooledBufferWriter scratch)
    {
        if (compressed)
        {
            if (encoding is null)
            {
                throw new RpcException(new Status(StatusCode.Internal, "Received a message with the compressed flag set, but the call's grpc-encoding is identity or absent."));
            }

            scratch.Reset();
            Decompress(payload, encoding, maxMessageSize, scratch);
            payload = new ReadOnlySequence<byte>(scratch.WrittenMemory);
        }

        try
        {
            return marshaller.Deserializer(payload);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"Failed to deserialize the received message: {ex.Message}"), Metadata.Empty, ex);
        }
    }

    /// <summary>
    /// Writes one framed message. With a known size and no compression the payload is serialized straight into the
    /// output; otherwise it is staged in <paramref name="scratch"/> first.
    /// </summary>
    public static void WriteMessage<T>(
        IBufferWriter<byte> output,
        T message,
        Marshaller<T> marshaller,
        ICompressionProvider? compression,
        int maxMessageSize,
        PooledBufferWriter scratch)
    {
        if (compression is null && marshaller.SizeCalculator is { } sizeOf)
        {
            var size = sizeOf(message);
            CheckSendSize(size, maxMessageSize);
            WritePrefix(output, compressed: false, size);
            if (size > 0)
            {
                marshaller.Serializer(message, output);
            }

            return;
        }

        scratch.Reset();
        marshaller.Serializer(message, scratch);
        CheckSendSize(scratch.WrittenCount, maxMessageSize);
        if (compression is null)
        {
            WritePrefix(output, compressed: false, scratch.WrittenCount);
            output.Write(scratch.WrittenSpan);
            return;
        }

        using var compressed = new PooledBufferWriter();
        using (var stream = compression.CreateCompressionStream(new BufferWriterStream(compressed)))
        {
            stream.Write(scratch.WrittenSpan);
        }

        WritePrefix(output, compressed: true, compressed.WrittenCount);
        output.Write(compressed.WrittenSpan);
    }

    private static void WritePrefix(IBufferWriter<byte> output, bool compressed, int length)
    {
        var span = output.GetSpan(GrpcProtocol.MessagePrefixSize);
        span[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
        output.Advance(GrpcProtocol.MessagePrefixSize);
    }

    private static void CheckSendSize(int size, int maxMessageSize)
    {
        if (size > maxMessageSize)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Sending message larger than max ({size} vs. {maxMessageSize})."));
        }
    }

    private static void Decompress(ReadOnlySequence<byte> payload, ICompressionProvider encoding, int maxMessageSize, PooledBufferWriter output)
    {
        try
        {
            using var input = encoding.CreateDecompressionStream(new SequenceStream(payload));
            while (true)
            {
                var span = output.GetSpan(16 * 1024);
                var read = input.Read(span);
                if (read == 0)
                {
                    return;
                }

                output.Advance(read);
                if (output.WrittenCount > maxMessageSize)
                {
                    throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Received message larger than max after decompression (over {maxMessageSize} bytes)."));
                }
            }
        }
        catch (InvalidDataException ex)
        {
            throw new RpcException(new Status(StatusCode.Internal, $"Failed to decompress the received message ({encoding.EncodingName}): {ex.Message}"), Metadata.Empty, ex);
        }
    }
}
