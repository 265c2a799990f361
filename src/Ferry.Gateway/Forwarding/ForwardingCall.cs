using Ferry.Gateway.Config;

namespace Ferry.Gateway.Forwarding;

/// <summary>
/// The lifetime of one forwarded call: one cancellation for both directions, fired by the client going away
/// (<see cref="Cancel"/> from the stream's abort callback), the deadline, the route's max stream lifetime or its idle
/// timeout; and the byte and message counts.
/// </summary>
internal sealed class ForwardingCall : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan? _idle;
    private ITimer? _deadlineTimer;
    private ITimer? _lifetimeTimer;
    private ITimer? _idleTimer;
    private readonly long _started;
    private long _lastActivity;
    private int _reason;

    public ForwardingCall(RouteTimeoutsConfig timeouts, TimeSpan? deadline, TimeProvider time)
    {
        _time = time;
        _idle = timeouts.Idle;
        _started = time.GetTimestamp();
        _lastActivity = _started;
        Deadline = deadline;
        if (deadline is { } d)
        {
            _deadlineTimer = time.CreateTimer(static state => ((ForwardingCall)state!).Cancel(CancelReason.Deadline), this, d, Timeout.InfiniteTimeSpan);
        }

        if (timeouts.MaxStreamLifetime is { } lifetime)
        {
            _lifetimeTimer = time.CreateTimer(static state => ((ForwardingCall)state!).Cancel(CancelReason.MaxLifetime), this, lifetime, Timeout.InfiniteTimeSpan);
        }

        if (_idle is { } idle)
        {
            var period = TimeSpan.FromTicks(Math.Max(idle.Ticks / 4, TimeSpan.TicksPerMillisecond));
            _idleTimer = time.CreateTimer(static state => ((ForwardingCall)state!).CheckIdle(), this, period, period);
        }
    }

    /// <summary>The timeout this call runs under (after route defaults and caps), or null.</summary>
    public TimeSpan? Deadline { get; }

    /// <summary>What is left of <see cref="Deadline"/> now (e.g. after a failed connect and a retry), or null.</summary>
    public TimeSpan? Remaining => Deadline is { } deadline ? deadline - _time.GetElapsedTime(_started) : null;

    public CancellationToken Token => _cts.Token;

    public CancelReason Reason => (CancelReason)Volatile.Read(ref _reason);

    public ForwardingOutcome Outcome { get; } = new();

    public void OnRequestBytes(long bytes, long messages)
    {
        Outcome.RequestBytes += bytes;
        Outcome.RequestMessages = messages;
        Touch();
    }

    public void OnResponseBytes(long bytes, long messages)
    {
        Outcome.ResponseBytes += bytes;
        Outcome.ResponseMessages = messages;
        Touch();
    }

    public void Cancel(CancelReason reason)
    {
        if (Interlocked.CompareExchange(ref _reason, (int)reason, (int)CancelReason.None) == (int)CancelReason.None)
        {
            CancelToken();
        }
    }

    /// <summary>Stops whatever still waits on the call's token once it is over (its timers and registrations).</summary>
    public void Complete() => CancelToken();

    /// <summary>A timer may fire while the call is being disposed; that late cancel has nothing left to stop.</summary>
    private void CancelToken()
    {
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _deadlineTimer?.Dispose();
        _lifetimeTimer?.Dispose();
        _idleTimer?.Dispose();
        _cts.Dispose();
    }

    private void Touch()
    {
        if (_idle is not null)
        {
            Volatile.Write(ref _lastActivity, _time.GetTimestamp());
        }
    }

    private void CheckIdle()
    {
        if (_idle is { } idle && _time.GetElapsedTime(Volatile.Read(ref _lastActivity)) >= idle)
        {
            Cancel(CancelReason.Idle);
        }
    }
}
