using Ferry.Gateway.Config;

namespace Ferry.Gateway.Forwarding;

/// <summary>
/// The lifetime of one forwarded call: one cancellation for both directions, fired by the client going away
/// (<see cref="Cancel"/> from the stream's abort callback), the deadline, the route's max stream lifetime or its idle
/// timeout; and the byte and message counts. Cancelling resets the attempt's backend stream directly (its
/// <see cref="RequestPump"/>); a <see cref="Token"/> exists only for calls that wait on something (a dial, a full
/// client window), so a call that never waits allocates no token source and no registration.
/// </summary>
internal sealed class ForwardingCall : IDisposable
{
    private CancellationTokenSource? _cts;
    private RequestPump? _pump;
    private int _completed;
    private readonly TimeProvider _time;
    private readonly TimeSpan? _idle;
    private ITimer? _deadlineTimer;
    private ITimer? _lifetimeTimer;
    private ITimer? _idleTimer;
    private long _lastActivity;
    private int _reason;

    /// <param name="started">When the call arrived (a <paramref name="time"/> timestamp).</param>
    public ForwardingCall(RouteTimeoutsConfig timeouts, TimeSpan? deadline, TimeProvider time, long started)
    {
        _time = time;
        _idle = timeouts.Idle;
        Started = started;
        _lastActivity = started;
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

    /// <summary>When the call arrived, as a timestamp of the gateway's clock.</summary>
    public long Started { get; }

    /// <summary>The timeout this call runs under (after route defaults and caps), or null.</summary>
    public TimeSpan? Deadline { get; }

    /// <summary>What is left of <see cref="Deadline"/> now (e.g. after a failed connect and a retry), or null.</summary>
    public TimeSpan? Remaining => Deadline is { } deadline ? deadline - _time.GetElapsedTime(Started) : null;

    /// <summary>Cancelled when the call is (or once it is over); created on first use.</summary>
    public CancellationToken Token
    {
        get
        {
            var cts = Volatile.Read(ref _cts);
            if (cts is null)
            {
                if (IsOver)
                {
                    return new CancellationToken(canceled: true);
                }

                var created = new CancellationTokenSource();
                cts = Interlocked.CompareExchange(ref _cts, created, null) ?? created;
                if (!ReferenceEquals(cts, created))
                {
                    created.Dispose();
                }
                else if (IsOver)
                {
                    // Cancelled or completed while the source was made: the canceller may not have seen it.
                    CancelToken();
                }
            }

            return cts.Token;
        }
    }

    public CancelReason Reason => (CancelReason)Volatile.Read(ref _reason);

    /// <summary>Cancelled, or completed: nothing may wait on the call any more.</summary>
    public bool IsOver => Volatile.Read(ref _reason) != (int)CancelReason.None || Volatile.Read(ref _completed) != 0;

    /// <summary>The attempt now running: cancelling the call aborts it (at once if the call was cancelled already).</summary>
    public void Attach(RequestPump pump)
    {
        Interlocked.Exchange(ref _pump, pump);
        if (Reason != CancelReason.None)
        {
            pump.Abort();
        }
    }

    /// <summary>The attempt ended; a cancel racing with this may still abort it, which is harmless then.</summary>
    public void Detach(RequestPump pump) => Interlocked.CompareExchange(ref _pump, null, pump);

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
            Volatile.Read(ref _pump)?.Abort();
            CancelToken();
        }
    }

    /// <summary>Stops whatever still waits on the call's token once it is over.</summary>
    public void Complete()
    {
        Interlocked.Exchange(ref _completed, 1);
        CancelToken();
    }

    /// <summary>A timer may fire while the call is being disposed; that late cancel has nothing left to stop.</summary>
    private void CancelToken()
    {
        try
        {
            Volatile.Read(ref _cts)?.Cancel();
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
        _cts?.Dispose();
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
