using System.Diagnostics;
using Google.Protobuf;
using Grpc.Testing;

namespace Ferry.Bench.Load;

/// <summary>
/// Small unary calls: <c>Connections x Streams</c> workers, each with one call in flight at a time, for the duration.
/// Every response is checked for its payload size; any non-OK status throws and fails the run.
/// </summary>
internal static class UnaryLoad
{
    public static async Task RunAsync(LoadOptions options)
    {
        using var channels = new ChannelSet(options, options.Connections);
        await channels.ConnectAsync().ConfigureAwait(false);
        var request = new SimpleRequest
        {
            ResponseSize = options.PayloadSize,
            Payload = new Payload { Body = ByteString.CopyFrom(new byte[options.PayloadSize]) },
        };

        await TimedLoad.RunAsync("unary", options, channels, (client, phase) => WorkerAsync(client, request, options.PayloadSize, phase)).ConfigureAwait(false);
    }

    private static async Task<LatencyHistogram> WorkerAsync(TestService.TestServiceClient client, SimpleRequest request, int payloadSize, LoadPhase phase)
    {
        var histogram = new LatencyHistogram();
        while (!phase.IsStopped)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var call = client.UnaryCallAsync(request);
                var response = await call;
                var elapsed = Stopwatch.GetTimestamp() - started;
                if (response.Payload?.Body.Length != payloadSize)
                {
                    throw new LoadFailure($"unary response carried {response.Payload?.Body.Length ?? 0} payload bytes, expected {payloadSize}");
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
            catch (Exception ex)
            {
                phase.Fail(ex as LoadFailure ?? new LoadFailure($"unary call failed: {ex.Message}", ex));
                break;
            }
        }

        return histogram;
    }
}
