using System.Buffers;
using System.IO.Pipelines;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>
/// One request/response exchange on an <see cref="Http2ServerConnection"/>, as the handler sees it. The request's
/// pseudo-headers and headers are validated before the handler is called (a malformed request is reset by the
/// connection and never reaches it). The handler drains the body with <see cref="TryReadBody"/>/<see cref="ReadBodyAsync"/>
/// and <see cref="AdvanceBody(SequencePosition, SequencePosition)"/> (which returns flow-control credit to the client
/// for what was consumed), answers with <see cref="WriteHeaders{TState}"/>, <see cref="TryWriteData"/>/
/// <see cref="WriteDataAsync"/> and <see cref="WriteTrailers{TState}"/>, and calls <see cref="Complete"/> once.
/// Writes are queued and leave when the connection's writer runs (<see cref="Flush"/> asks for that now; DATA and
/// the end of the response ask by themselves). Once the stream is closed, header writes are dropped and data writes
/// fail: the handler learns of it from <see cref="OnAborted"/> or a failed read or data write. A body read that
/// waited resumes on the connection's read loop (<see cref="Http2ReadBatch"/>): what follows it must not block.
/// </summary>
internal sealed class Http2ServerStream : IHttp2Sender
{
    private static readonly List<KeyValuePair<string, string>> NoFields = [];

    private readonly Http2ServerConnection _connection;
    // Rented from the connection and given back by Complete; the stream itself is never reused, and once the buffer is
    // back a late call fails here rather than reaching the next stream's body.
    private Http2BodyBuffer? _body;
    private int _completed;
    private TaskCompletionSource? _windowWaiter;

    internal Http2ServerStream(Http2ServerConnection connection, Http2BodyBuffer body, int id, Http2RequestValidator request, long sendWindow, int receiveWindow)
    {
        _connection = connection;
        _body = body;
        Id = id;
        Method = request.Method!;
        Scheme = request.Scheme ?? "";
        Authority = request.Authority ?? "";
        Path = request.Path ?? "";
        RequestHeaders = request.Fields;
        ContentLength = request.ContentLength;
        SendWindow = sendWindow;
        ReceiveWindow = receiveWindow;
        WindowSize = receiveWindow;
    }

    public int Id { get; }

    /// <summary>:method.</summary>
    public string Method { get; }

    /// <summary>:scheme.</summary>
    public string Scheme { get; }

    /// <summary>:authority, or the host header when the client sent no :authority; "" if neither.</summary>
    public string Authority { get; }

    /// <summary>:path as sent (path and query).</summary>
    public string Path { get; }

    /// <summary>
    /// The request headers in the order received, without pseudo-headers. Names are lowercase; values are the octets
    /// as sent, one char each (Latin-1), so they can be forwarded unchanged.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> RequestHeaders { get; }

    /// <summary>The request's trailers, once the body has completed; empty if it ended without any.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> RequestTrailers { get; internal set; } = NoFields;

    /// <summary>
    /// Response body bytes queued so far. After a <see cref="WriteDataAsync"/> that failed or was cancelled part way,
    /// this says how much of it will still reach the client.
    /// </summary>
    public long BodyBytesQueued => Volatile.Read(ref DataQueued);

    /// <summary>True once the response headers were queued.</summary>
    public bool HasStarted => Volatile.Read(ref HeadersSent);

    /// <summary>Whether the stream is over: ended both ways, reset by either side, or its connection failed.</summary>
    public bool IsClosed => Volatile.Read(ref Closed);

    // State below is owned by the connection and changed under its lock.
    internal readonly long ContentLength;
    internal long Received;
    internal long SendWindow;
    internal long DataQueued;
    internal int ReceiveWindow;
    /// <summary>The window granted to the client in all (what <see cref="ReceiveWindow"/> returns to when all is consumed).</summary>
    internal int WindowSize;
    internal int UnackedConsumed;
    internal bool RemoteEnded;
    internal bool LocalEnded;
    internal bool HeadersSent;
    internal bool Closed;
    // Why the stream closed early: a reset by either side or the connection's end. Data writes fail with it.
    internal Exception? Failure;
    // Set when the stream failed before its response ended; an OnAborted callback registered later runs at once.
    internal bool Aborted;
    internal bool AbortRegistered;
    internal Action<object?>? AbortCallback;
    internal object? AbortState;

    private Http2BodyBuffer Body => _body ?? throw new InvalidOperationException("The stream was completed; its body is no longer readable.");

    /// <summary>
    /// Reads the request body without waiting. The result completes when the client ended the request; reading fails
    /// with an <see cref="IOException"/> once the client reset the stream or the connection was lost.
    /// </summary>
    public bool TryReadBody(out ReadResult result) => Body.TryRead(out result);

    /// <summary>Reads the request body, waiting for more if all of it was examined (see <see cref="AdvanceBody(SequencePosition, SequencePosition)"/>).</summary>
    public ValueTask<ReadResult> ReadBodyAsync() => Body.ReadAsync();

    /// <summary>
    /// Consumes the body of the last read up to <paramref name="consumed"/> and grants the client as much window again;
    /// with <paramref name="examined"/> at the end of what was read, the next <see cref="ReadBodyAsync"/> waits for more.
    /// </summary>
    public void AdvanceBody(SequencePosition consumed, SequencePosition examined)
    {
        var length = Body.AdvanceTo(consumed, examined);
        if (length > 0)
        {
            _connection.OnBodyConsumed(this, (int)length);
        }
    }

    public void AdvanceBody(SequencePosition consumed) => AdvanceBody(consumed, consumed);

    /// <summary>
    /// Makes a pending <see cref="ReadBodyAsync"/> return at once (with IsCanceled). Safe from any thread at any time:
    /// after <see cref="Complete"/> it does nothing (a call's deadline may fire as its handler finishes).
    /// </summary>
    public void CancelPendingBodyRead() => _connection.CancelPendingBodyRead(this);

    /// <summary>
    /// Runs <paramref name="callback"/> once if the client resets the stream or the connection is lost before the
    /// response ended (at once if that already happened). One registration per stream. Runs on the thread pool.
    /// </summary>
    public void OnAborted(Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        _connection.RegisterOnAborted(this, callback, state);
    }

    /// <summary>
    /// Queues the response HEADERS: :status, then what <paramref name="write"/> adds (lowercase names, no
    /// pseudo-headers, no connection-specific fields). With <paramref name="endStream"/> the response ends here
    /// (a gRPC trailers-only response). Once per stream.
    /// </summary>
    public void WriteHeaders<TState>(int status, TState state, Action<Http2HeaderWriter, TState> write, bool endStream) =>
        _connection.WriteHeaders(this, status, state, write, endStream);

    /// <summary>Queues <paramref name="data"/> if the flow-control windows allow all of it now; false (nothing queued) if not.</summary>
    public bool TryWriteData(in ReadOnlySequence<byte> data, bool endStream) => _connection.TryWriteData(this, data, endStream);

    /// <summary>
    /// Queues <paramref name="data"/>, waiting for window as needed (what fits leaves first). Fails with an
    /// <see cref="IOException"/> if the stream is reset or the connection lost, and on cancellation.
    /// </summary>
    public ValueTask WriteDataAsync(ReadOnlySequence<byte> data, bool endStream, CancellationToken cancellationToken = default) =>
        _connection.WriteDataAsync(this, data, endStream, cancellationToken);

    /// <summary>Queues the trailers (HEADERS with END_STREAM), which end the response.</summary>
    public void WriteTrailers<TState>(TState state, Action<Http2HeaderWriter, TState> write) => _connection.WriteTrailers(this, state, write);

    /// <summary>Makes what was queued leave now rather than with the next write.</summary>
    public void Flush() => _connection.Flush();

    /// <summary>Resets the stream with <paramref name="errorCode"/> (RST_STREAM) unless it is already closed.</summary>
    public void Reset(Http2ErrorCode errorCode) => _connection.ResetStream(this, errorCode);

    /// <summary>
    /// The handler is done. A response that did not end is reset (INTERNAL_ERROR); a request still open after a
    /// complete response is reset with NO_ERROR (RFC 9113 §8.1) so the client stops sending. Frees the stream's buffers.
    /// </summary>
    public void Complete()
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return;
        }

        _connection.CompleteStream(this);
    }

    /// <summary>
    /// Takes the body away for <see cref="Complete"/> (under the connection's lock, which a late
    /// <see cref="CancelPendingBodyRead"/> also takes, so it never reaches the buffer once another stream has it).
    /// </summary>
    internal Http2BodyBuffer TakeBodyLocked()
    {
        var body = _body!;
        _body = null;
        return body;
    }

    /// <summary>Cancels a pending body read unless the stream was completed (under the connection's lock).</summary>
    internal void CancelPendingBodyReadLocked() => _body?.CancelPendingRead();

    /// <summary>Appends a DATA payload to the body (under the connection's lock); a waiting read resumes at the end of the batch.</summary>
    internal void DeliverData(in ReadOnlySequence<byte> payload) => _body!.Append(payload);

    /// <summary>The request ended (under the connection's lock).</summary>
    internal void EndBody() => _body!.CompleteWriter();

    /// <summary>The stream closed early (under the connection's lock): reads fail with <paramref name="error"/> unless the body had ended.</summary>
    internal void FailBody(Exception error)
    {
        // Only open streams get here, and Complete closes its stream before taking the body away.
        _body!.CompleteWriter(error);
        WakeWindowWaiter();
    }

    /// <inheritdoc />
    public bool AwaitingTurn { get; set; }

    public Task WaitForWindow()
    {
        _windowWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _windowWaiter.Task;
    }

    internal void WakeWindowWaiter()
    {
        var waiter = _windowWaiter;
        _windowWaiter = null;
        waiter?.TrySetResult();
    }

    void IHttp2Sender.WakeSender() => WakeWindowWaiter();
}
