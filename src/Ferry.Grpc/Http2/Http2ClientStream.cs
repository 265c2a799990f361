using System.Buffers;
using System.IO.Pipelines;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>
/// One request/response exchange on an <see cref="Http2ClientConnection"/>. The caller sends the request body with
/// <see cref="TryWriteData"/>/<see cref="WriteDataAsync"/>, awaits <see cref="ReadHeadersAsync"/>, drains the body with
/// <see cref="TryReadBody"/>/<see cref="ReadBodyAsync"/>/<see cref="AdvanceBody"/> (which returns flow-control
/// credit), then reads <see cref="Trailers"/>. Disposing a stream that has not finished resets it (CANCEL).
/// Header and body waits resume on the connection's read loop (<see cref="Http2ReadBatch"/>): what follows them
/// must not block.
/// The connection's read loop is the only writer of the body buffer, always under the connection's lock.
/// </summary>
internal sealed class Http2ClientStream : IHpackHeaderSink, IHttp2Sender, IDisposable
{
    private static readonly List<KeyValuePair<string, string>> NoFields = [];

    private readonly Http2ClientConnection _connection;
    // Rented from the connection and given back on Dispose (a body per call was a tenth of a forwarded call's
    // allocations). Nothing may be read after Dispose: the buffer then serves another stream.
    private readonly Http2BodyBuffer _body;
    private int _disposed;
    // Completed with synchronous continuations, by the read loop after a batch of frames and outside any lock: the
    // caller's response handling then runs right there, with the body and trailers that came in the same read
    // already delivered, instead of one thread-pool hop later. Failures are completed from the thread pool.
    private readonly TaskCompletionSource _headersReady = new();
    private List<KeyValuePair<string, string>> _decoding = NoFields;
    private string? _malformed;
    private bool _expectingTrailers;
    private TaskCompletionSource? _windowWaiter;

    internal Http2ClientStream(Http2ClientConnection connection, Http2BodyBuffer body, int id, int sendWindow, int receiveWindow)
    {
        _connection = connection;
        _body = body;
        Id = id;
        SendWindow = sendWindow;
        ReceiveWindow = receiveWindow;
        WindowSize = receiveWindow;
    }

    public int Id { get; }

    /// <summary>The response's :status (valid once <see cref="ReadHeadersAsync"/> completed).</summary>
    public int StatusCode { get; private set; }

    /// <summary>The response headers, without pseudo-headers.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; private set; } = NoFields;

    /// <summary>True when the response ended with its headers (a trailers-only response in gRPC terms).</summary>
    public bool EndedWithHeaders { get; private set; }

    /// <summary>The trailers, once the body has completed; empty if the response ended without any.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Trailers { get; private set; } = NoFields;

    /// <summary>Whether the stream is over (ended both ways, reset, or its connection failed).</summary>
    public bool IsClosed => Volatile.Read(ref Closed);

    // State below is owned by the connection and changed under its lock.
    internal long SendWindow;
    internal int ReceiveWindow;
    /// <summary>The window granted to the server in all (what <see cref="ReceiveWindow"/> returns to when all is consumed).</summary>
    internal int WindowSize;
    internal int UnackedConsumed;
    internal bool LocalEnded;
    internal bool RemoteEnded;
    internal bool Closed;

    public Task ReadHeadersAsync() => _headersReady.Task;

    public bool TryReadBody(out ReadResult result) => _body.TryRead(out result);

    public ValueTask<ReadResult> ReadBodyAsync() => _body.ReadAsync();

    /// <summary>Consumes everything <paramref name="result"/> held and grants the server as much window again.</summary>
    public void AdvanceBody(ReadResult result)
    {
        var length = _body.AdvanceTo(result.Buffer.End, result.Buffer.End);
        if (length > 0)
        {
            _connection.OnBodyConsumed(this, (int)length);
        }
    }

    /// <summary>Sends <paramref name="data"/> now if the flow-control windows allow all of it; false (nothing sent) if not.</summary>
    public bool TryWriteData(in ReadOnlySequence<byte> data, bool endStream) => _connection.TryWriteData(this, data, endStream);

    /// <summary>Sends <paramref name="data"/>, waiting for window as needed.</summary>
    public ValueTask WriteDataAsync(ReadOnlySequence<byte> data, bool endStream) => _connection.WriteDataAsync(this, data, endStream);

    /// <summary>Ends the request (an empty DATA frame with END_STREAM) unless it already ended.</summary>
    public void EndRequest() => _connection.EndRequest(this);

    /// <summary>Sends HEADERS held back by an open without flush (see <see cref="Http2ClientConnection.TryOpenStream"/>).</summary>
    public void Flush() => _connection.Flush(this);

    /// <summary>Resets the stream with <paramref name="errorCode"/> unless it already ended; pending reads fail.</summary>
    public void Reset(Http2ErrorCode errorCode, Exception? reason = null) =>
        _connection.ResetStream(this, errorCode, reason ?? new OperationCanceledException("The stream was reset by the caller."));

    /// <summary>Resets the stream if it is still open and gives its body buffer back: nothing may be read after this.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!IsClosed)
        {
            Reset(Http2ErrorCode.Cancel);
        }

        _connection.ReturnBody(_body);
    }

    void IHpackHeaderSink.OnHeader(string name, string value)
    {
        if (_malformed is not null)
        {
            return;
        }

        if (name.Length > 0 && name[0] == ':')
        {
            if (_expectingTrailers || name != ":status" || _decoding.Count > 0 || StatusCode != 0)
            {
                _malformed = $"unexpected pseudo-header '{name}'";
                return;
            }

            StatusCode = ParseStatus(value);
            if (StatusCode == 0)
            {
                _malformed = $"invalid :status '{value}'";
            }

            return;
        }

        if (!Http2HeaderRules.IsValidFieldName(name))
        {
            _malformed = $"invalid header name '{name}'";
            return;
        }

        if (Http2HeaderRules.IsConnectionSpecific(name))
        {
            _malformed = $"connection-specific header '{name}'";
            return;
        }

        _decoding.Add(new KeyValuePair<string, string>(name, value));
    }

    internal void BeginHeaderBlock()
    {
        _malformed = null;
        if (!_expectingTrailers)
        {
            StatusCode = 0;
        }

        // Sized for a typical gRPC response: content-type and an encoding or two; trailers grpc-status and -message.
        _decoding = new List<KeyValuePair<string, string>>(_expectingTrailers ? 2 : 4);
    }

    /// <summary>Called by the read loop after a header block was decoded into this stream; null if it was valid.</summary>
    internal string? EndHeaderBlock(bool endStream)
    {
        if (_malformed is not null)
        {
            return _malformed;
        }

        if (_expectingTrailers)
        {
            if (!endStream)
            {
                return "trailers without END_STREAM";
            }

            Trailers = _decoding;
            return null;
        }

        if (StatusCode == 0)
        {
            return "response headers without :status";
        }

        if (StatusCode < 200)
        {
            // An informational response (e.g. 100 Continue): the final headers are still to come.
            return endStream ? "informational response with END_STREAM" : null;
        }

        Headers = _decoding;
        EndedWithHeaders = endStream;
        _expectingTrailers = true;
        return null;
    }

    internal bool HeadersReceived => _expectingTrailers;

    /// <summary>Appends a DATA payload to the body (under the connection's lock).</summary>
    internal void DeliverData(in ReadOnlySequence<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return;
        }

        // Flow control bounds what the buffer holds.
        _body.Append(payload);
    }

    /// <summary>The response is complete (under the connection's lock).</summary>
    internal void CompleteBody() => _body.CompleteWriter();

    /// <summary>The response headers are in: runs the caller's continuation on this thread (never under a lock).</summary>
    internal void SignalHeaders() => _headersReady.TrySetResult();

    /// <summary>The stream failed: pending and later reads throw <paramref name="error"/> (under the connection's lock).</summary>
    internal void Fail(Exception error)
    {
        if (RemoteEnded)
        {
            // The response is whole (its delivery may still be pending in this read batch): it stands, and only the
            // request side fails. RFC 9113 §8.1: a server may reset a stream after a complete response (NO_ERROR) to
            // stop the request; in gRPC the status in the trailers is final either way. Its headers are normally
            // signalled at the end of the read batch; a batch cut short by a connection error never gets there. Held
            // back by the batch too, so the caller sees the response only once the rest of the read (this reset
            // included) was handled; with no batch on this thread (failed from elsewhere), on the thread pool.
            if (!_headersReady.Task.IsCompleted)
            {
                Http2ReadBatch.Scheduler.Schedule(static ready => ((TaskCompletionSource)ready!).TrySetResult(), _headersReady);
            }

            WakeWindowWaiter(error);
            return;
        }

        if (!_headersReady.Task.IsCompleted)
        {
            Http2ReadBatch.Scheduler.Schedule(static s => ((HeadersFailure)s!).Signal(), new HeadersFailure(_headersReady, error));
        }

        _body.CompleteWriter(error);
        WakeWindowWaiter(error);
    }

    /// <inheritdoc />
    public bool AwaitingTurn { get; set; }

    public Task WaitForWindow()
    {
        _windowWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _windowWaiter.Task;
    }

    internal void WakeWindowWaiter(Exception? error = null)
    {
        var waiter = _windowWaiter;
        _windowWaiter = null;
        if (error is null)
        {
            waiter?.TrySetResult();
        }
        else
        {
            waiter?.TrySetException(error);
        }
    }

    void IHttp2Sender.WakeSender() => WakeWindowWaiter();

    private sealed record HeadersFailure(TaskCompletionSource Ready, Exception Error)
    {
        public void Signal() => Ready.TrySetException(Error);
    }

    private static int ParseStatus(string value) =>
        value.Length == 3 && int.TryParse(value, System.Globalization.NumberStyles.None, null, out var status) && status >= 100 ? status : 0;
}
