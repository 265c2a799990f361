using System.Diagnostics;

namespace Ferry.Bench.Load;

/// <summary>
/// The clock of a timed run shared by its workers: warm-up (calls not counted), measuring, stopped. The first
/// failure stops the run at once and is kept for the report.
/// </summary>
internal sealed class LoadPhase
{
    private const int Warming = 0;
    private const int Measuring = 1;
    private const int Stopped = 2;
    private int _phase;
    private Exception? _failure;

    public bool IsMeasuring => Volatile.Read(ref _phase) == Measuring;

    public bool IsStopped => Volatile.Read(ref _phase) == Stopped;

    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>The server's CPU ticks over the measured window, when its pid was given.</summary>
    public long? ServerTicks { get; private set; }

    public void Fail(Exception exception)
    {
        Interlocked.CompareExchange(ref _failure, exception, null);
        Volatile.Write(ref _phase, Stopped);
    }

    /// <summary>
    /// Waits out the warm-up and the measured duration; returns how long measuring really lasted. With a server pid,
    /// also reads that process's CPU at the edges of the measured window (<see cref="ServerTicks"/>).
    /// </summary>
    public async Task<TimeSpan> RunAsync(TimeSpan warmup, TimeSpan duration, int? serverPid = null)
    {
        await WaitAsync(warmup).ConfigureAwait(false);
        var serverStart = ProcessCpu.ReadTicks(serverPid);
        if (Interlocked.CompareExchange(ref _phase, Measuring, Warming) != Warming)
        {
            return TimeSpan.Zero;
        }

        var started = Stopwatch.GetTimestamp();
        await WaitAsync(duration).ConfigureAwait(false);
        var measured = Stopwatch.GetElapsedTime(started);
        Interlocked.CompareExchange(ref _phase, Stopped, Measuring);
        ServerTicks = ProcessCpu.ReadTicks(serverPid) - serverStart;
        return measured;
    }

    /// <summary>Sleeps in short steps so a failure ends the run without waiting out the whole duration.</summary>
    private async Task WaitAsync(TimeSpan time)
    {
        var end = Stopwatch.GetTimestamp() + (long)(time.TotalSeconds * Stopwatch.Frequency);
        while (!IsStopped && Stopwatch.GetTimestamp() < end)
        {
            // Clamped at zero: the end may pass between the loop's check and this line.
            var left = TimeSpan.FromSeconds(Math.Max(0, end - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
            await Task.Delay(left < TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50)).ConfigureAwait(false);
        }
    }
}
