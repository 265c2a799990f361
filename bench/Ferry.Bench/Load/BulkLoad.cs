using System.Diagnostics;
using Ferry.Grpc;
using Google.Protobuf;
using Grpc.Testing;

namespace Ferry.Bench.Load;

/// <summary>
/// Large transfers on one connection: a server stream (<c>StreamingOutputCall</c>, StreamBytes as MessageSize
/// messages) and a bidi echo (<c>FullDuplexCall</c>, BidiBytes sent as MessageSize messages, each answered by a
/// message of the same size, written and read concurrently). Every message size, the message count and the final
/// status are checked. Rates count the bytes of payload in one direction.
/// </summary>
internal static class BulkLoad
{
    public static async Task RunServerStreamAsync(LoadOptions options)
    {
        using var channels = new ChannelSet(options, 1);
        var client = channels.Clients[0];
        await channels.ConnectAsync().ConfigureAwait(false);
        if (options.Warmup > TimeSpan.Zero)
        {
            await ServerStreamAsync(client, options.MessageSize, Math.Min(options.StreamBytes, 16L << 20)).ConfigureAwait(false);
        }

        var started = Stopwatch.GetTimestamp();
        long bytes = 0;
        for (var i = 0; i < options.Repeat; i++)
        {
            bytes += await ServerStreamAsync(client, options.MessageSize, options.StreamBytes).ConfigureAwait(false);
        }

        LoadReport.Bulk("stream", options, bytes, options.Repeat, Stopwatch.GetElapsedTime(started));
    }

    public static async Task RunBidiEchoAsync(LoadOptions options)
    {
        using var channels = new ChannelSet(options, 1);
        var client = channels.Clients[0];
        await channels.ConnectAsync().ConfigureAwait(false);
        if (options.Warmup > TimeSpan.Zero)
        {
            await BidiEchoAsync(client, options.MessageSize, Math.Min(options.BidiBytes, 16L << 20)).ConfigureAwait(false);
        }

        var started = Stopwatch.GetTimestamp();
        long bytes = 0;
        for (var i = 0; i < options.Repeat; i++)
        {
            bytes += await BidiEchoAsync(client, options.MessageSize, options.BidiBytes).ConfigureAwait(false);
        }

        LoadReport.Bulk("bidi", options, bytes, options.Repeat, Stopwatch.GetElapsedTime(started));
    }

    private static async Task<long> ServerStreamAsync(TestService.TestServiceClient client, int messageSize, long totalBytes)
    {
        var count = checked((int)(totalBytes / messageSize));
        var request = new StreamingOutputCallRequest();
        for (var i = 0; i < count; i++)
        {
            request.ResponseParameters.Add(new ResponseParameters { Size = messageSize });
        }

        using var call = client.StreamingOutputCall(request);
        long received = 0;
        var messages = 0;
        while (await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
        {
            var length = call.ResponseStream.Current.Payload?.Body.Length ?? 0;
            if (length != messageSize)
            {
                throw new LoadFailure($"server stream message {messages + 1} carried {length} bytes, expected {messageSize}");
            }

            received += length;
            messages++;
        }

        CheckEnd(call.GetStatus(), "server stream", messages, count);
        return received;
    }

    private static async Task<long> BidiEchoAsync(TestService.TestServiceClient client, int messageSize, long totalBytes)
    {
        var count = checked((int)(totalBytes / messageSize));
        var request = new StreamingOutputCallRequest
        {
            Payload = new Payload { Body = ByteString.CopyFrom(new byte[messageSize]) },
            ResponseParameters = { new ResponseParameters { Size = messageSize } },
        };

        using var call = client.FullDuplexCall();
        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await call.RequestStream.WriteAsync(request).ConfigureAwait(false);
            }

            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        });

        long received = 0;
        var messages = 0;
        while (await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
        {
            var length = call.ResponseStream.Current.Payload?.Body.Length ?? 0;
            if (length != messageSize)
            {
                throw new LoadFailure($"bidi echo message {messages + 1} carried {length} bytes, expected {messageSize}");
            }

            received += length;
            messages++;
        }

        await writer.ConfigureAwait(false);
        CheckEnd(call.GetStatus(), "bidi echo", messages, count);
        return received;
    }

    private static void CheckEnd(Status status, string what, int messages, int expected)
    {
        if (status.StatusCode != StatusCode.OK)
        {
            throw new LoadFailure($"{what} ended with {status}");
        }

        if (messages != expected)
        {
            throw new LoadFailure($"{what} delivered {messages} messages, expected {expected}");
        }
    }
}
