using Grpc.Testing;

namespace Ferry.Bench.Load;

/// <summary>
/// A timed run of <c>Connections x Streams</c> workers sharing one <see cref="LoadPhase"/>: starts them, waits out
/// warm-up and measurement, rethrows the first failure, merges their latencies and prints the report line.
/// </summary>
internal static class TimedLoad
{
    public static async Task RunAsync(string name, LoadOptions options, ChannelSet channels, Func<TestService.TestServiceClient, LoadPhase, Task<LatencyHistogram>> worker)
    {
        var phase = new LoadPhase();
        var workers = new List<Task<LatencyHistogram>>();
        foreach (var client in channels.Clients)
        {
            for (var s = 0; s < options.Streams; s++)
            {
                workers.Add(Task.Run(() => worker(client, phase)));
            }
        }

        var measured = await phase.RunAsync(options.Warmup, options.Duration, options.ServerPid).ConfigureAwait(false);
        var histograms = await Task.WhenAll(workers).ConfigureAwait(false);
        if (phase.Failure is { } failure)
        {
            throw failure;
        }

        var total = new LatencyHistogram();
        foreach (var histogram in histograms)
        {
            total.Add(histogram);
        }

        LoadReport.Timed(name, options, measured, total, phase.ServerTicks);
    }
}
