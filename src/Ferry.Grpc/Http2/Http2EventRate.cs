namespace Ferry.Grpc.Http2;

/// <summary>
/// Counts events in one-second windows, which tells a flood (rapid resets, empty frames) from ordinary traffic for
/// the cost of a timestamp per event. A window starts with the first event after the previous one ran out.
/// </summary>
internal struct Http2EventRate
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    private long _windowStart;
    private int _count;

    /// <summary>Records an event; true once more than <paramref name="limit"/> happened within the window.</summary>
    public bool Exceeds(TimeProvider time, int limit)
    {
        var now = time.GetTimestamp();
        if (_count == 0 || time.GetElapsedTime(_windowStart, now) >= Window)
        {
            _windowStart = now;
            _count = 0;
        }

        return ++_count > limit;
    }
}
