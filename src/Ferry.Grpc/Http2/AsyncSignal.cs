using System.Threading.Tasks.Sources;

namespace Ferry.Grpc.Http2;

/// <summary>
/// An auto-reset event for one waiter that allocates nothing: the connection's writer waits on it for output.
/// <see cref="Set"/> runs the waiter on the thread pool, so frames queued right after one another still leave in one
/// write; <see cref="SetInline"/> runs it on the signalling thread, for output that nothing else will join.
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private readonly Lock _lock = new();
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private bool _set;
    private bool _waiting;

    public void Set() => Set(inline: false);

    /// <summary>Wakes the waiter on this thread, until its next await (a waiter that is busy just finds it set).</summary>
    public void SetInline() => Set(inline: true);

    private void Set(bool inline)
    {
        lock (_lock)
        {
            if (!_waiting)
            {
                _set = true;
                return;
            }

            _waiting = false;
            _core.RunContinuationsAsynchronously = !inline;
        }

        _core.SetResult(true);
    }

    public ValueTask WaitAsync()
    {
        lock (_lock)
        {
            if (_set)
            {
                _set = false;
                return ValueTask.CompletedTask;
            }

            _core.Reset();
            _waiting = true;
            return new ValueTask(this, _core.Version);
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
