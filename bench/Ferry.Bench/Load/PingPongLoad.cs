using System.Diagnostics;
using Ferry.Grpc;
using Google.Protobuf;
using Grpc.Testing;

namespace Ferry.Bench.Load;

/// <summary>
/// Small-message ping-pong on long-lived bidi streams (<c>FullDuplexCall</c>): <c>Connections x Streams</c> streams,
/// each writing one message and waiting for its answer before the next. Reports round trips per second. Each stream
/// is half-closed at the end and must finish with status OK.
/// </summary>
internal static class PingPongLoad
{
    public static async Task RunAsync(LoadOptions options)
    {
        using var channels = new ChannelSet(options, options.Connections);
        await channels.ConnectAsync().ConfigureAwait(false);
        var request = new StreamingOutputCallRequest
        {
            Payload = new Payload { Body = ByteString.CopyFrom(new byte[options.PayloadSize]) },
            ResponseParameters = { new ResponseParameters { Size = options.PayloadSize } },
        };

        await TimedLoad.RunAsync("pingpong", options, channels, (client, phase) => WorkerAsync(client, request, options.PayloadSize, phase)).ConfigureAwait(false);
    }

    private static async Task<LatencyHistogram> WorkerAsync(TestService.TestServiceClient client, StreamingOutputCallRequest request, int payloadSize, LoadPhase phase)
    {
        var histogram = new LatencyHistogram();
        try
        {
            using var call = client.FullDuplexCall();
            while (!phase.IsStopped)
            {
                var started = Stopwatch.GetTimestamp();
                await call.RequestStream.WriteAsync(request).ConfigureAwait(false);
                if (!await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
                {
                    throw new LoadFailure($"ping-pong stream ended early: {call.GetStatus()}");
                }

                var elapsed = Stopwatch.GetTimestamp() - started;
                if (call.ResponseStream.Current.Payload?.Body.Length != payloadSize)
                {
                    throw new LoadFailure($"ping-pong response carried {call.ResponseStream.Current.Payload?.Body.Length ?? 0} payload bytes, expected {payloadSize}");
                }

                if (phase.IsMeasuring)
                {
                    histogram.Record(elapsed);
                }
                else
                {
                    histogram.Unmeasured++;
                }
            }

            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            if (await call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
            {
                throw new LoadFailure("ping-pong stream sent a message after the request side closed");
            }

            if (call.GetStatus().StatusCode != StatusCode.OK)
            {
                throw new LoadFailure($"ping-pong stream ended with {call.GetStatus()}");
            }
        }
        catch (Exception ex)
        {
            phase.Fail(ex as LoadFailure ?? new LoadFailure($"ping-pong stream failed: {ex.Message}", ex));
        }

        return histogram;
    }
}
