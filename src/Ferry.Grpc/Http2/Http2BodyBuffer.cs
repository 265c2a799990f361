using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Sources;

namespace Ferry.Grpc.Http2;

/// <summary>
/// A stream's received body: DATA payloads appended by the connection's read loop, read by whoever handles the
/// stream, with pipe semantics (a read sees everything not yet consumed; a read after examining everything waits for
/// more). Guarded by the connection's lock rather than one of its own: the writer side runs under that lock anyway,
/// so a DATA frame costs no further locking, where a <see cref="Pipe"/> took its own lock four or five times a frame
/// and as often again to be read (a tenth of a forwarded call's CPU). A waiting read resumes at the end of the read
/// batch that brought the data (<see cref="Http2ReadBatch"/>), outside the lock. Reused stream after stream by its
/// connection, keeping one small segment, so a unary body needs neither allocation nor a trip to the array pool.
/// </summary>
internal sealed class Http2BodyBuffer : IValueTaskSource<ReadResult>
{
    private const int SegmentSize = 4096;

    // Segments without arrays kept for reuse; a long body goes through many.
    private const int MaxSpareSegments = 8;

    private static readonly Action<object?> Wake = static state => ((Http2BodyBuffer)state!).OnWake();

    private readonly Lock _sync;
    private readonly Stack<Segment> _spareSegments = new();
    private ManualResetValueTaskSourceCore<ReadResult> _waiter;
    private Segment? _head;
    private int _headIndex;
    private Segment? _tail;
    private Segment? _kept;
    private bool _examinedAll;
    private bool _writerCompleted;
    private Exception? _error;
    private bool _cancelPending;
    private bool _readerCompleted;
    private bool _awaiting;
    private bool _wakeScheduled;

    /// <param name="sync">The owning connection's lock: the writer methods are called under it, the reader methods take it.</param>
    public Http2BodyBuffer(Lock sync)
    {
        _sync = sync;
        _waiter.RunContinuationsAsynchronously = false;
    }

    // ---- Writer side: the connection's read loop, under the connection's lock. ----

    /// <summary>Appends a DATA payload; it is readable at once and wakes a waiting read at the end of the batch.</summary>
    public void Append(in ReadOnlySequence<byte> payload)
    {
        if (payload.IsEmpty || _readerCompleted)
        {
            return;
        }

        // In one piece, as a pipe's GetSpan(length) did: writing into the tail's leftover first would chain small
        // segments that every later copy of the body then walks.
        var length = (int)payload.Length;
        var tail = _tail is { } current && current.Available >= length ? current : AddSegment(length);
        payload.CopyTo(tail.Free);
        tail.Grow(length);
        _examinedAll = false;
        ScheduleWakeLocked();
    }

    /// <summary>The body ended (<paramref name="error"/> null) or failed: reads then end, or throw <paramref name="error"/>.</summary>
    public void CompleteWriter(Exception? error = null)
    {
        if (_writerCompleted)
        {
            return;
        }

        _writerCompleted = true;
        _error = error;
        ScheduleWakeLocked();
    }

    // ---- Reader side: any thread. ----

    /// <summary>What is unconsumed, without waiting: false if there is nothing and the body has not ended.</summary>
    public bool TryRead(out ReadResult result)
    {
        lock (_sync)
        {
            ThrowIfUnreadable();
            if (_cancelPending || _writerCompleted || Unread > 0)
            {
                result = ResultLocked();
                return true;
            }

            result = default;
            return false;
        }
    }

    public ValueTask<ReadResult> ReadAsync()
    {
        lock (_sync)
        {
            ThrowIfUnreadable();
            if (_awaiting)
            {
                throw new InvalidOperationException("A read of the body is already pending.");
            }

            if (_cancelPending || _writerCompleted || (Unread > 0 && !_examinedAll))
            {
                return new ValueTask<ReadResult>(ResultLocked());
            }

            _waiter.Reset();
            _awaiting = true;
            return new ValueTask<ReadResult>(this, _waiter.Version);
        }
    }

    /// <summary>
    /// Consumes up to <paramref name="consumed"/>; with <paramref name="examined"/> at the end of what was read, the
    /// next <see cref="ReadAsync"/> waits for more. Returns the number of bytes consumed.
    /// </summary>
    public long AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        lock (_sync)
        {
            if (_readerCompleted)
            {
                throw new InvalidOperationException("The body was completed; it can no longer be read.");
            }

            var before = ReadPosition;
            if (consumed.GetObject() is Segment segment)
            {
                if (!Holds(segment, consumed.GetInteger()))
                {
                    throw new InvalidOperationException("The position is not in the unconsumed part of the body.");
                }

                while (_head is { } head && head != segment)
                {
                    _head = head.NextSegment;
                    Release(head);
                }

                _headIndex = consumed.GetInteger();
            }

            var count = ReadPosition - before;
            if (_head is { } last && last == _tail && _headIndex == last.End)
            {
                // All consumed: the segment is written again from its start.
                last.Clear();
                _headIndex = 0;
            }

            _examinedAll = examined.GetObject() is Segment examinedSegment && examinedSegment == _tail && examined.GetInteger() == _tail.End;
            return count;
        }
    }

    /// <summary>Makes a pending <see cref="ReadAsync"/> return (IsCanceled), or the next one if none is pending.</summary>
    public void CancelPendingRead()
    {
        lock (_sync)
        {
            if (_readerCompleted)
            {
                return;
            }

            _cancelPending = true;
            ScheduleWakeLocked();
        }
    }

    /// <summary>
    /// The reader is done (under the connection's lock): the buffer frees its segments and, if nothing is still in
    /// flight, is ready for the next stream. False if it must not be reused (its writer is still open, or a wake is
    /// still on its way to a read).
    /// </summary>
    public bool CompleteReaderAndReset()
    {
        _readerCompleted = true;
        while (_head is { } head)
        {
            _head = head.NextSegment;
            Release(head);
        }

        _tail = null;
        _headIndex = 0;
        if (!_writerCompleted || _awaiting || _wakeScheduled)
        {
            return false;
        }

        _examinedAll = false;
        _writerCompleted = false;
        _error = null;
        _cancelPending = false;
        _readerCompleted = false;
        return true;
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token)
    {
        _waiter.GetResult(token);
        lock (_sync)
        {
            ThrowIfUnreadable();
            return ResultLocked();
        }
    }

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);

    private bool Holds(Segment segment, int index)
    {
        for (var current = _head; current is not null; current = current.NextSegment)
        {
            if (current == segment)
            {
                return index <= segment.End && (current != _head || index >= _headIndex);
            }
        }

        return false;
    }

    private long Unread => _tail is null ? 0 : _tail.RunningIndex + _tail.End - ReadPosition;

    private long ReadPosition => _head is null ? 0 : _head.RunningIndex + _headIndex;

    private ReadResult ResultLocked()
    {
        var canceled = _cancelPending;
        _cancelPending = false;
        var buffer = _head is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_head, _headIndex, _tail!, _tail!.End);
        return new ReadResult(buffer, canceled, _writerCompleted);
    }

    private void ThrowIfUnreadable()
    {
        if (_readerCompleted)
        {
            throw new InvalidOperationException("The body was completed; it can no longer be read.");
        }

        if (_error is not null)
        {
            ExceptionDispatchInfo.Throw(_error);
        }
    }

    // A wake held for the end of the batch (or sent to the thread pool outside one), so the reader never runs under the lock.
    private void ScheduleWakeLocked()
    {
        if (_awaiting && !_wakeScheduled)
        {
            _wakeScheduled = true;
            Http2ReadBatch.Scheduler.Schedule(Wake, this);
        }
    }

    private void OnWake()
    {
        lock (_sync)
        {
            _wakeScheduled = false;
            if (!_awaiting)
            {
                return;
            }

            _awaiting = false;
        }

        _waiter.SetResult(default);
    }

    private Segment AddSegment(int sizeHint)
    {
        Segment segment;
        if (_kept is { } kept && sizeHint <= kept.Capacity)
        {
            _kept = null;
            segment = kept;
        }
        else
        {
            segment = _spareSegments.Count > 0 ? _spareSegments.Pop() : new Segment();
            segment.Rent(Math.Max(SegmentSize, sizeHint));
        }

        if (_tail is null)
        {
            segment.Start(0);
            _head = segment;
            _headIndex = 0;
        }
        else
        {
            segment.Start(_tail.RunningIndex + _tail.End);
            _tail.SetNext(segment);
        }

        _tail = segment;
        return segment;
    }

    private void Release(Segment segment)
    {
        if (_kept is null && segment.Capacity == SegmentSize)
        {
            segment.Unlink();
            _kept = segment;
            return;
        }

        segment.Return();
        if (_spareSegments.Count < MaxSpareSegments)
        {
            _spareSegments.Push(segment);
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        private byte[] _array = [];

        public int End { get; private set; }

        public int Capacity => _array.Length;

        public int Available => _array.Length - End;

        public Span<byte> Free => _array.AsSpan(End);

        public Segment? NextSegment => (Segment?)Next;

        public void Rent(int size) => _array = ArrayPool<byte>.Shared.Rent(size);

        public void Start(long runningIndex)
        {
            RunningIndex = runningIndex;
            End = 0;
            Memory = ReadOnlyMemory<byte>.Empty;
            Unlink();
        }

        public void Grow(int count)
        {
            End += count;
            Memory = _array.AsMemory(0, End);
        }

        public void Clear()
        {
            RunningIndex += End;
            End = 0;
            Memory = ReadOnlyMemory<byte>.Empty;
        }

        public void SetNext(Segment next) => Next = next;

        public void Unlink() => Next = null;

        public void Return()
        {
            Unlink();
            if (_array.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_array);
                _array = [];
            }
        }
    }
}
