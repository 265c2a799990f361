namespace Ferry.Grpc.Protocol;

/// <summary>
/// A one-shot timer for a call's deadline, on the call's <see cref="TimeProvider"/>. Runtime timers take at most
/// 0xFFFFFFFE ms (about 49.7 days) and throw beyond that, while <c>grpc-timeout</c> reaches 99,999,999 hours; a
/// longer deadline is armed in steps, each re-checked against the clock, until it is due.
/// </summary>
internal sealed class DeadlineTimer : IDisposable
{
    /// <summary>The longest due time a runtime timer accepts.</summary>
    public static readonly TimeSpan MaxDueTime = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly TimeProvider _time;
    private readonly DateTimeOffset _due;
    private readonly Action<object?> _callback;
    private readonly object? _state;
    private readonly ITimer _timer;
    private bool _stepped;

    private DeadlineTimer(TimeProvider time, TimeSpan timeout, Action<object?> callback, object? state)
    {
        _time = time;
        var now = time.GetUtcNow();
        _due = timeout >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue : now + timeout;
        _callback = callback;
        _state = state;
        _stepped = timeout > MaxDueTime;
        _timer = time.CreateTimer(static self => ((DeadlineTimer)self!).OnTick(), this, _stepped ? MaxDueTime : timeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Calls <paramref name="callback"/> with <paramref name="state"/> once <paramref name="timeout"/> has passed.</summary>
    public static DeadlineTimer Start(TimeProvider time, TimeSpan timeout, Action<object?> callback, object? state) =>
        new(time, timeout < TimeSpan.Zero ? TimeSpan.Zero : timeout, callback, state);

    public void Dispose() => _timer.Dispose();

    private void OnTick()
    {
        if (_stepped)
        {
            var remaining = _due - _time.GetUtcNow();
            if (remaining > TimeSpan.Zero)
            {
                _stepped = remaining > MaxDueTime;
                _timer.Change(_stepped ? MaxDueTime : remaining, Timeout.InfiniteTimeSpan);
                return;
            }
        }

        _callback(_state);
    }
}
