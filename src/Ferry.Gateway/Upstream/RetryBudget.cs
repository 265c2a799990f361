namespace Ferry.Gateway.Upstream;

/// <summary>
/// Allows retries up to a share of recent calls (over a 10 s window), so retries cannot multiply the load on a
/// cluster that is already failing. At least one retry is always allowed so a single-call client can fail over.
/// </summary>
internal sealed class RetryBudget(double percent, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private readonly Lock _lock = new();
    private long _windowStart = time.GetTimestamp();
    private int _requests;
    private int _retries;

    public void OnRequest()
    {
        RollWindow();
        Interlocked.Increment(ref _requests);
    }

    public bool TryAcquire()
    {
        RollWindow();
        var allowed = Math.Max(1, (int)(Volatile.Read(ref _requests) * percent / 100));
        if (Interlocked.Increment(ref _retries) <= allowed)
        {
            return true;
        }

        Interlocked.Decrement(ref _retries);
        return false;
    }

    private void RollWindow()
    {
        if (time.GetElapsedTime(Volatile.Read(ref _windowStart)) < Window)
        {
            return;
        }

        lock (_lock)
        {
            if (time.GetElapsedTime(_windowStart) < Window)
            {
                return;
            }

            _windowStart = time.GetTimestamp();
            Volatile.Write(ref _requests, 0);
            Volatile.Write(ref _retries, 0);
        }
    }
}
