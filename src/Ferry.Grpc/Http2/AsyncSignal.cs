using System.Threading.Tasks.Sources;

namespace Ferry.Grpc.Http2;

/// <summary>
/// An auto-reset event for one waiter that allocates nothing: the connection's writer waits on it for output.
/// <see cref="Set"/> runs the waiter on the thread pool, so frames queued right after one another still leave in one
/// write; <see cref="SetInline"/> runs it on the signalling thread, for output that nothing else will join.
/// Between <see cref="BeginBatch"/> and <see cref="EndBatch"/> (a read loop working through the frames of one read)
/// <see cref="Set"/> wakes nobody yet: the waiters run on this thread when the batch ends, each once, with everything
/// the batch queued for it. That is an event loop's write coalescing, without a thread-pool hop per writer.
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    [ThreadStatic] private static List<AsyncSignal>? t_deferred;
    [ThreadStatic] private static int t_batchDepth;

    private readonly object _lock = new();
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private bool _set;
    private bool _waiting;

    public void Set()
    {
        if (t_batchDepth > 0)
        {
            (t_deferred ??= []).Add(this);
            return;
        }

        Set(inline: false);
    }

    /// <summary>From here to <see cref="EndBatch"/> on this thread, <see cref="Set"/> is deferred. Batches may nest.</summary>
    public static void BeginBatch() => t_batchDepth++;

    /// <summary>Ends a batch; the outermost one wakes the deferred waiters here (outside any lock, the caller's duty).</summary>
    public static void EndBatch()
    {
        if (t_batchDepth > 1 || t_deferred is not { Count: > 0 } deferred)
        {
            t_batchDepth--;
            return;
        }

        // Still batching while they run: a writer that wakes another (one connection's failure touching another's
        // streams) adds to the list, and this loop reaches it too.
        try
        {
            for (var i = 0; i < deferred.Count; i++)
            {
                deferred[i].Set(inline: true);
            }
        }
        finally
        {
            deferred.Clear();
            t_batchDepth = 0;
        }
    }

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
