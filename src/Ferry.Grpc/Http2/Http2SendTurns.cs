namespace Ferry.Grpc.Http2;

/// <summary>A stream that sends DATA and may have to wait for the connection's shared send capacity.</summary>
internal interface IHttp2Sender
{
    bool IsClosed { get; }

    /// <summary>Whether the stream waits in a <see cref="Http2SendTurns{TStream}"/> queue (owned by it, under the connection's lock).</summary>
    bool AwaitingTurn { get; set; }

    Task WaitForWindow();

    void WakeSender();
}

/// <summary>
/// Takes streams through a connection's shared send capacity (its flow-control window and, on the server, its output
/// buffer) in turns, first come first served (under the connection's lock). Streams woken together used to race for
/// freed capacity, and the thread pool runs the last woken first, so one bulk response could hold every other on the
/// connection back until it ended. Here a stream that finds others waiting queues behind them; capacity is handed to
/// the queue's head, one stream at a time, and a stream that takes a share while others wait goes to the back.
/// Streams waiting for their own stream window are kept here as well, outside the queue.
/// </summary>
internal sealed class Http2SendTurns<TStream> where TStream : class, IHttp2Sender
{
    private readonly List<TStream> _queue = [];
    // Streams waiting for the peer to open their own window: that is theirs alone, so they wait outside the queue.
    private readonly List<TStream> _windowBlocked = [];
    // Woken with the capacity, not yet back under the lock to use it; no one else takes capacity meanwhile.
    private TStream? _turn;

    /// <summary>
    /// What a stream sends in one turn while others wait: a few frames, so that streams interleave without a
    /// thread-pool hop per frame.
    /// </summary>
    public const int Share = 64 * 1024;

    /// <summary>Whether others wait for capacity, so a stream without the turn must queue behind them.</summary>
    public bool IsBusy => _turn is not null || _queue.Count > 0;

    /// <summary>What a stream may send now of the <paramref name="allowed"/> octets: no more than <see cref="Share"/> while others wait.</summary>
    public long ShareOf(long allowed) => _queue.Count > 0 ? Math.Min(allowed, Share) : allowed;

    /// <summary>
    /// After a stream sent its share: if it has <paramref name="more"/> and others wait, it goes to the back of the
    /// queue (the task to await); otherwise null, and it goes on.
    /// </summary>
    public Task? YieldTurn(TStream stream, bool more) => more && _queue.Count > 0 ? Wait(stream, first: false) : null;

    /// <summary>
    /// A stream is back under the lock: takes it out of the queue, and returns whether it held the turn (it then
    /// uses the capacity or passes it on with <see cref="GrantNext"/>).
    /// </summary>
    public bool Take(TStream stream)
    {
        if (stream.AwaitingTurn)
        {
            stream.AwaitingTurn = false;
            _queue.Remove(stream);
        }

        if (_turn == stream)
        {
            _turn = null;
            return true;
        }

        return false;
    }

    /// <summary>Queues the stream for capacity: at the back, or at the front when its turn found too little of it.</summary>
    public Task Wait(TStream stream, bool first)
    {
        stream.AwaitingTurn = true;
        _queue.Insert(first ? 0 : _queue.Count, stream);
        return stream.WaitForWindow();
    }

    /// <summary>The stream waits for its own window (a WINDOW_UPDATE for it, or SETTINGS), outside the queue.</summary>
    public Task WaitForOwnWindow(TStream stream)
    {
        _windowBlocked.Add(stream);
        return stream.WaitForWindow();
    }

    /// <summary>The peer opened the stream's window: wakes its writer if it waited for that.</summary>
    public void WakeIfWindowBlocked(TStream stream)
    {
        if (_windowBlocked.Remove(stream))
        {
            stream.WakeSender();
        }
    }

    /// <summary>Stream windows changed (SETTINGS): wakes every stream waiting for its own; they retry and wait again if need be.</summary>
    public void WakeWindowBlocked()
    {
        foreach (var stream in _windowBlocked)
        {
            stream.WakeSender();
        }

        _windowBlocked.Clear();
    }

    /// <summary>
    /// A write failed or was cancelled while its stream waited or was woken: it waits no more, and a turn it held is
    /// released (the caller then grants the capacity to the next).
    /// </summary>
    public void Leave(TStream stream)
    {
        Take(stream);
        _windowBlocked.Remove(stream);
    }

    /// <summary>There is capacity: wakes the first stream still waiting, unless one already holds the turn.</summary>
    public void GrantNext()
    {
        while (_turn is null && _queue.Count > 0)
        {
            var next = _queue[0];
            _queue.RemoveAt(0);
            next.AwaitingTurn = false;
            if (!next.IsClosed)
            {
                _turn = next;
                next.WakeSender();
            }
        }
    }

    /// <summary>The connection ended: nothing waits any more (the streams' own failures wake them).</summary>
    public void Clear()
    {
        foreach (var stream in _queue)
        {
            stream.AwaitingTurn = false;
        }

        _queue.Clear();
        _windowBlocked.Clear();
        _turn = null;
    }
}
