using System.IO.Pipelines;
using Ferry.Grpc.Compression;

namespace Ferry.Grpc.Protocol;

/// <summary>Reads framed messages from a pipe, one at a time, with the call's limits and encoding.</summary>
internal static class PipeMessageReader
{
    /// <returns>The message and whether it arrived compressed, or <c>HasMessage == false</c> when the stream ended cleanly between messages.</returns>
    public static async ValueTask<(bool HasMessage, T Message, bool Compressed)> ReadAsync<T>(
        PipeReader reader,
        Marshaller<T> marshaller,
        int maxMessageSize,
        ICompressionProvider? encoding,
        PooledBufferWriter scratch,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var consumed = buffer.Start;
            var examined = buffer.End;
            try
            {
                if (MessageFraming.TryReadMessage(ref buffer, maxMessageSize, out var compressed, out var payload))
                {
                    var message = MessageFraming.Deserialize(payload, compressed, encoding, marshaller, maxMessageSize, scratch);

                    // Examined only up to this message: the next read must see the messages already buffered after
                    // it at once, not wait for more bytes to arrive.
                    consumed = buffer.Start;
                    examined = consumed;
                    return (true, message, compressed);
                }

                if (result.IsCompleted)
                {
                    consumed = buffer.End;
                    if (buffer.Length > 0)
                    {
                        throw new RpcException(new Status(StatusCode.Internal, $"Incomplete message: the stream ended {buffer.Length} bytes into a message (truncated body or malformed length prefix)."));
                    }

                    return (false, default!, false);
                }

                if (result.IsCanceled)
                {
                    throw new OperationCanceledException("The read was cancelled.");
                }
            }
            finally
            {
                reader.AdvanceTo(consumed, examined);
            }
        }
    }
}
