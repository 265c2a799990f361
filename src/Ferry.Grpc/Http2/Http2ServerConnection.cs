using System.IO.Pipelines;
using System.Net.Sockets;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>
/// The server side of one HTTP/2 connection (prior knowledge or after ALPN "h2"), built for forwarding: requests are
/// validated and handed to an <see cref="IHttp2StreamHandler"/> with their headers as strings and their bodies as
/// buffers; responses are encoded straight into the output. No HttpContext, no per-request task of its own.
/// <code>
///   transport ─► read loop ─► frames ─► HPACK decode + request checks / body buffers / windows / settings / ping / goaway
///                    └─ after each batch of frames: body readers and writer woken, new requests to the handler (unlocked)
///   handlers ──(under _sync: HPACK-encode, frame, append to _pending)──► writer loop ──► one write per batch ─► transport
/// </code>
/// One lock guards the streams, the windows, the encoder and the output buffer: every holder only copies bytes or
/// flips state, so contention stays short, and frames from many streams leave together in one write.
/// Split by concern: .Reading.cs (the read loop and connection-level frames), .Requests.cs (header blocks, request
/// bodies, receive windows), .Writing.cs (output, responses and send windows).
/// </summary>
internal sealed partial class Http2ServerConnection : IAsyncDisposable
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    // Plaintext connections send their batches on the socket itself: the transport's output pipe would copy each batch
    // into its own blocks first (a third of a bulk stream's user-space copying). Null: everything goes through _output.
    private readonly Socket? _socket;
    private readonly CancellationTokenSource? _sendCancellation;
    private readonly Http2ServerOptions _options;
    private readonly IHttp2StreamHandler _handler;
    private readonly TimeProvider _time;
    private readonly Lock _sync = new();
    private readonly Dictionary<int, Http2ServerStream> _streams = [];
    // _streams.Count, for readers outside the lock.
    private int _openStreams;
    private readonly Stack<Http2BodyBuffer> _spareBodies = new();
    private readonly HpackEncoder _encoder = new();
    private readonly Http2HeaderWriter _headerWriter;
    private readonly TaskCompletionSource _closeFinished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;
    // Why the connection ended; null while it runs. Set once, under the lock.
    private Exception? _closed;
    private ITimer? _handshakeTimer;
    private ITimer? _keepAliveTimer;
    private ITimer? _idleTimer;
    // When the last stream closed (or the connection started); read by the idle timer.
    private long _idleSince;
    private ITimer? _shutdownTimer;
    private ITimer? _closeTimer;

    // Streams whose response ended before their request, waiting for the client's END_STREAM (see CompleteStream):
    // the timer that resets them, and the request bytes dropped so far.
    private Dictionary<int, (ITimer Timer, long Dropped)>? _drainingRequests;
    private bool _shutdownRequested;
    // No new streams will come (our final GOAWAY went, or the client's came): the connection ends when the open ones do.
    private bool _draining;
    // New streams above this id are ignored (RFC 9113 section 6.8): lowered by the final GOAWAY of a graceful shutdown.
    private int _goAwayLastStreamId = int.MaxValue;
    private Http2EventRate _resets;
    private long _lastReceived;
    private long _pingSentAt;

    /// <param name="transport">The connection's bytes: requests are read from its input; responses are written to its
    /// output unless <paramref name="socket"/> is given.</param>
    /// <param name="socket">The plaintext socket under <paramref name="transport"/>, to send responses on directly; only
    /// when nothing transforms the output (no TLS, no logging or metering wrapper), and nothing else writes to it. The
    /// output is still completed at the end, so that its owner closes the connection.</param>
    public Http2ServerConnection(IDuplexPipe transport, Http2ServerOptions options, IHttp2StreamHandler handler, TimeProvider time, Socket? socket = null)
    {
        _input = transport.Input;
        _output = transport.Output;
        _socket = socket;
        _sendCancellation = socket is null ? null : new CancellationTokenSource();
        _options = options;
        _handler = handler;
        _time = time;
        _decoder = new HpackDecoder(HpackDefaultTableSize, options.MaxHeaderListSize);
        _headerWriter = new Http2HeaderWriter(_encoder);
        // The connection window starts at the protocol's 65,535 and can only be raised (by our WINDOW_UPDATE).
        _receiveWindow = Math.Max(options.InitialConnectionWindow, DefaultWindow);
        _connectionWindow = _receiveWindow;
        _windowTuner = Http2WindowTuner.Create(options.InitialStreamWindow, options.MaxStreamWindow, time);

        // Until the client acknowledges our SETTINGS it may still use the default stream window.
        _receiveWindowSlack = Math.Max(0, DefaultWindow - options.InitialStreamWindow);
        _lastReceived = time.GetTimestamp();
        _idleSince = _lastReceived;
    }

    private const int HpackDefaultTableSize = 4096;
    private const long KeepAlivePingPayload = 0x4665727279_4b41; // "FerryKA"
    private const long ShutdownPingPayload = 0x4665727279_5344; // "FerrySD"
    // How long a closing connection may take to send what is queued (a GOAWAY saying why) to a client that may not read.
    private static readonly TimeSpan CloseFlushTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Streams open now.</summary>
    public int ActiveStreams => Volatile.Read(ref _openStreams);

    /// <summary>
    /// The client's protocol error this connection was closed for (the reason its GOAWAY gave), once it ended for one;
    /// null otherwise, also for a client that simply went away.
    /// </summary>
    public Http2ConnectionException? ProtocolError
    {
        get
        {
            lock (_sync)
            {
                return _closed as Http2ConnectionException;
            }
        }
    }

    /// <summary>
    /// Reads the client preface and serves the connection until it ends: the client closed it, a connection error
    /// (GOAWAY sent with the error), <see cref="Abort"/>, or a <see cref="Shutdown"/> whose streams all finished.
    /// Peer errors never throw from here.
    /// </summary>
    public Task RunAsync()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The connection is already running.");
        }

        return RunCoreAsync();
    }

    private async Task RunCoreAsync()
    {
        try
        {
            lock (_sync)
            {
                if (_closed is null)
                {
                    _handshakeTimer = _time.CreateTimer(static s => ((Http2ServerConnection)s!).OnHandshakeTimeout(), this, _options.HandshakeTimeout, Timeout.InfiniteTimeSpan);
                    if (_options.KeepAliveTime is { } keepAlive)
                    {
                        var period = keepAlive < _options.KeepAliveTimeout ? keepAlive : _options.KeepAliveTimeout;
                        _keepAliveTimer = _time.CreateTimer(static s => ((Http2ServerConnection)s!).OnKeepAliveTick(), this, period, period);
                    }

                    if (_options.IdleTimeout is { } idle)
                    {
                        var period = TimeSpan.FromTicks(Math.Max(idle.Ticks / 4, TimeSpan.TicksPerMillisecond));
                        _idleTimer = _time.CreateTimer(static s => ((Http2ServerConnection)s!).OnIdleTick(), this, period, period);
                    }
                }
            }

            var writing = WriteLoopAsync();
            await ReadLoopAsync().ConfigureAwait(false);
            await writing.ConfigureAwait(false);
            // Every way out of the loops closed the connection; FinishClose has then touched the pipes for the last time.
            await _closeFinished.Task.ConfigureAwait(false);
        }
        finally
        {
            ITimer?[] timers;
            lock (_sync)
            {
                timers = [_handshakeTimer, _keepAliveTimer, _idleTimer, _shutdownTimer, _closeTimer, .. _drainingRequests?.Values.Select(d => d.Timer) ?? []];
                _drainingRequests = null;
            }

            // DisposeAsync waits for a callback in flight, so none touches the pipes after they are completed.
            foreach (var timer in timers)
            {
                if (timer is not null)
                {
                    await timer.DisposeAsync().ConfigureAwait(false);
                }
            }

            await CompleteTransportAsync().ConfigureAwait(false);
            _sendCancellation?.Dispose();
            ReleaseBuffers();
            _stopped.TrySetResult();
        }
    }

    /// <summary>
    /// Completes both sides of the transport, which the caller then closes. Output that a client never took is
    /// dropped: completing with an error keeps a stream-backed writer from flushing it to a peer that does not read.
    /// </summary>
    private async ValueTask CompleteTransportAsync()
    {
        try
        {
            await _output.CompleteAsync(_outputFailure).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The transport failed already; the connection is over either way.
        }

        await _input.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Graceful shutdown: GOAWAY (no new streams beyond those already started), the streams in flight finish, then
    /// the connection closes and <see cref="RunAsync"/> completes.
    /// </summary>
    public void Shutdown()
    {
        bool signal;
        lock (_sync)
        {
            if (_closed is not null || _shutdownRequested)
            {
                return;
            }

            _shutdownRequested = true;
            if (!_prefaceSent)
            {
                // Nothing was served yet: there is no stream to let finish.
                CloseLocked(new IOException("The server shut the connection down."), goAway: null);
                return;
            }

            // RFC 9113 section 6.8: a first GOAWAY with the largest id stops new streams without refusing those in
            // flight; the PING's answer proves the client has seen it, and the second GOAWAY names the last stream.
            Http2FrameWriter.WriteGoAway(_pending, int.MaxValue, Http2ErrorCode.NoError);
            Http2FrameWriter.WritePing(_pending, ShutdownPingPayload, ack: false);
            signal = ScheduleWrite();
            _shutdownTimer = _time.CreateTimer(static s => ((Http2ServerConnection)s!).SendFinalGoAway(), this, _options.ShutdownPingTimeout, Timeout.InfiniteTimeSpan);
        }

        if (signal)
        {
            _writeSignal.Set();
        }
    }

    /// <summary>The client saw the first GOAWAY (or had long enough to): no stream above the last one started will be served.</summary>
    private void SendFinalGoAway()
    {
        bool signal;
        lock (_sync)
        {
            if (_closed is not null || _draining)
            {
                return;
            }

            _draining = true;
            _goAwayLastStreamId = _highestStreamId;
            Http2FrameWriter.WriteGoAway(_pending, _goAwayLastStreamId, Http2ErrorCode.NoError);
            signal = ScheduleWrite();
            CloseIfDrainedLocked();
        }

        if (signal)
        {
            _writeSignal.Set();
        }
    }

    /// <summary>Closes the connection now: streams in flight fail (their OnAborted callbacks run).</summary>
    public void Abort(string reason)
    {
        lock (_sync)
        {
            CloseLocked(new IOException(reason), Http2ErrorCode.InternalError);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Abort("The connection was disposed.");
        await _closeFinished.Task.ConfigureAwait(false);
        if (Volatile.Read(ref _started) != 0)
        {
            await _stopped.Task.ConfigureAwait(false);
        }

        ReleaseBuffers();
    }

    /// <summary>Gives the pooled buffers back once nothing is written any more (the connection has closed).</summary>
    private void ReleaseBuffers()
    {
        lock (_sync)
        {
            _headerWriter.Release();
            _pending.Dispose();
            _spare.Dispose();
            _headerBlock.Dispose();
        }
    }

    /// <summary>
    /// Ends the connection (under the lock): open streams fail with <paramref name="reason"/>, a GOAWAY with
    /// <paramref name="goAway"/> says why, the writer sends what is queued and the loops stop. False if it had ended.
    /// </summary>
    private bool CloseLocked(Exception reason, Http2ErrorCode? goAway, string? debug = null)
    {
        if (_closed is not null)
        {
            return false;
        }

        _closed = reason;
        if (goAway is { } code && _prefaceSent)
        {
            WriteGoAwayLocked(code, debug);
        }

        if (_streams.Count > 0)
        {
            var error = new Http2StreamException(goAway ?? Http2ErrorCode.Cancel, false, $"The HTTP/2 connection ended: {reason.Message}", reason);
            foreach (var stream in _streams.Values)
            {
                EndStreamLocked(stream, error, notify: true);
            }

            _streams.Clear();
            Volatile.Write(ref _openStreams, 0);
        }

        _sendTurns.Clear();
        ThreadPool.UnsafeQueueUserWorkItem(static connection => connection.FinishClose(), this, preferLocal: false);
        return true;
    }

    private void Close(Exception reason, Http2ErrorCode? goAway, string? debug = null)
    {
        lock (_sync)
        {
            CloseLocked(reason, goAway, debug);
        }
    }

    /// <summary>After <see cref="CloseLocked"/>, outside the lock: a pipe may run its reader's continuation inline.</summary>
    private void FinishClose()
    {
        _input.CancelPendingRead();
        _writeSignal.Set();
        if (Volatile.Read(ref _started) != 0)
        {
            lock (_sync)
            {
                _closeTimer = _time.CreateTimer(static s => ((Http2ServerConnection)s!).CancelPendingSend(), this, CloseFlushTimeout, Timeout.InfiniteTimeSpan);
            }
        }

        _closeFinished.TrySetResult();
    }

    /// <summary>Ends a graceful shutdown or a client's GOAWAY once no stream is left (under the lock).</summary>
    private void CloseIfDrainedLocked()
    {
        if (_draining && _streams.Count == 0)
        {
            CloseLocked(new IOException("The connection was shut down."), goAway: null);
        }
    }

    /// <summary>
    /// Closes a stream (under the lock): out of the map, no longer counted against the stream limit. With
    /// <paramref name="error"/> it ended early: its body and writes fail, and with <paramref name="notify"/> its
    /// OnAborted callback runs (the handler did not cause it).
    /// </summary>
    private void CloseStreamLocked(Http2ServerStream stream, Exception? error, bool notify)
    {
        EndStreamLocked(stream, error, notify);
        _streams.Remove(stream.Id);
        Volatile.Write(ref _openStreams, _streams.Count);
        if (_streams.Count == 0)
        {
            _idleSince = _time.GetTimestamp();
        }

        CloseIfDrainedLocked();
    }

    private static void EndStreamLocked(Http2ServerStream stream, Exception? error, bool notify)
    {
        Volatile.Write(ref stream.Closed, true);
        if (error is null)
        {
            return;
        }

        stream.Failure ??= error;
        stream.FailBody(error);
        if (notify && !stream.LocalEnded)
        {
            stream.Aborted = true;
            QueueAbortCallback(stream);
        }
    }

    private static void QueueAbortCallback(Http2ServerStream stream)
    {
        if (stream.AbortCallback is { } callback)
        {
            var state = stream.AbortState;
            stream.AbortCallback = null;
            stream.AbortState = null;
            ThreadPool.UnsafeQueueUserWorkItem(callback, state, preferLocal: false);
        }
    }

    internal void RegisterOnAborted(Http2ServerStream stream, Action<object?> callback, object? state)
    {
        lock (_sync)
        {
            if (stream.AbortRegistered)
            {
                throw new InvalidOperationException("An OnAborted callback was already registered for this stream.");
            }

            stream.AbortRegistered = true;
            stream.AbortCallback = callback;
            stream.AbortState = state;
            if (stream.Aborted)
            {
                QueueAbortCallback(stream);
            }
        }
    }

    /// <summary>The handler is done with <paramref name="stream"/>: whatever is still open is reset, and its body buffer goes back to the pool.</summary>
    internal void CompleteStream(Http2ServerStream stream)
    {
        var signal = false;
        lock (_sync)
        {
            stream.AbortCallback = null;
            stream.AbortState = null;
            if (!stream.Closed && stream.LocalEnded && _options.RequestDrainTimeout > TimeSpan.Zero && _closed is null)
            {
                // Section 8.1 lets a NO_ERROR reset stop the request now, but right behind the response it can overtake
                // it through a proxy: the client gets a moment to end the request first (its DATA is dropped meanwhile).
                CloseStreamLocked(stream, new Http2StreamException(Http2ErrorCode.NoError, false, "The response ended before the request."), notify: false);
                StartDrainLocked(stream.Id);
            }
            else if (!stream.Closed)
            {
                // Section 8.1: after a complete response NO_ERROR only stops the request; otherwise the response is cut off.
                var code = stream.LocalEnded ? Http2ErrorCode.NoError : Http2ErrorCode.InternalError;
                signal = WriteRstStreamLocked(stream.Id, code);
                CloseStreamLocked(stream, new Http2StreamException(code, false, stream.LocalEnded
                    ? "The request was stopped after the response ended."
                    : "The handler completed the stream before its response ended."), notify: false);
            }

            ReturnBodyLocked(stream.TakeBodyLocked());
        }

        AfterWrite(signal);
    }

    private void StartDrainLocked(int streamId)
    {
        _drainingRequests ??= [];
        var timer = _time.CreateTimer(
            static state =>
            {
                var (connection, id) = ((Http2ServerConnection, int))state!;
                connection.OnDrainTimeout(id);
            },
            (this, streamId),
            _options.RequestDrainTimeout,
            Timeout.InfiniteTimeSpan);
        _drainingRequests[streamId] = (timer, 0);
    }

    /// <summary>
    /// DATA for a stream that is no longer open: if it waits for the end of its request, the end stops the wait, and
    /// more than <see cref="Http2ServerOptions.RequestDrainMaxBytes"/> ends it with the reset. Returns whether to signal.
    /// </summary>
    private bool OnDrainDataLocked(int streamId, int length, bool endStream)
    {
        if (_drainingRequests is null || !_drainingRequests.TryGetValue(streamId, out var draining))
        {
            return false;
        }

        var dropped = draining.Dropped + length;
        if (!endStream && dropped <= _options.RequestDrainMaxBytes)
        {
            _drainingRequests[streamId] = (draining.Timer, dropped);
            return false;
        }

        _drainingRequests.Remove(streamId);
        draining.Timer.Dispose();
        return !endStream && WriteRstStreamLocked(streamId, Http2ErrorCode.NoError);
    }

    /// <summary>The client reset a request whose response had ended: nothing more to wait for.</summary>
    private void EndDrainLocked(int streamId)
    {
        if (_drainingRequests is not null && _drainingRequests.Remove(streamId, out var draining))
        {
            draining.Timer.Dispose();
        }
    }

    private void OnDrainTimeout(int streamId)
    {
        bool signal;
        lock (_sync)
        {
            if (_drainingRequests is null || !_drainingRequests.Remove(streamId, out var draining))
            {
                return;
            }

            draining.Timer.Dispose();
            signal = WriteRstStreamLocked(streamId, Http2ErrorCode.NoError);
        }

        AfterWrite(signal);
    }

    /// <summary>
    /// Cancels a pending read of <paramref name="stream"/>'s body. Under the lock, because a canceller on another thread
    /// (a deadline timer) may race with the handler completing the stream and its body buffer going to the next stream;
    /// the reader's continuation never runs here (it is held for the end of a read batch, or goes to the thread pool).
    /// </summary>
    internal void CancelPendingBodyRead(Http2ServerStream stream)
    {
        lock (_sync)
        {
            stream.CancelPendingBodyReadLocked();
        }
    }

    /// <summary>The handler resets <paramref name="stream"/>.</summary>
    internal void ResetStream(Http2ServerStream stream, Http2ErrorCode errorCode)
    {
        bool signal;
        lock (_sync)
        {
            if (stream.Closed)
            {
                return;
            }

            signal = WriteRstStreamLocked(stream.Id, errorCode);
            CloseStreamLocked(stream, new Http2StreamException(errorCode, false, $"The server reset the stream ({Name(errorCode)})."), notify: false);
        }

        AfterWrite(signal);
    }

    private Http2BodyBuffer RentBodyLocked() => _spareBodies.Count > 0 ? _spareBodies.Pop() : new Http2BodyBuffer(_sync);

    /// <summary>
    /// Takes back a completed stream's body buffer for the next stream. A closed stream's body is no longer written;
    /// one that is somehow still open, or still has a read's wake on its way, is simply not reused.
    /// </summary>
    private void ReturnBodyLocked(Http2BodyBuffer body)
    {
        // A pool as large as the stream limit serves a busy connection without allocating; an idle buffer holds one small segment.
        if (body.CompleteReaderAndReset() && _spareBodies.Count < _options.MaxConcurrentStreams)
        {
            _spareBodies.Push(body);
        }
    }

    private void OnHandshakeTimeout()
    {
        lock (_sync)
        {
            if (!_settingsReceived)
            {
                CloseLocked(
                    new IOException($"The client sent no HTTP/2 preface and SETTINGS within {_options.HandshakeTimeout.TotalSeconds:0.###} s."),
                    Http2ErrorCode.ProtocolError, "handshake timeout");
            }
        }
    }

    private void OnKeepAliveTick()
    {
        var signal = false;
        lock (_sync)
        {
            if (_closed is not null || !_settingsReceived)
            {
                return;
            }

            if (_pingSentAt == 0)
            {
                // Only a connection that has been silent this long is probed: one that hears from the client is alive.
                if (_time.GetElapsedTime(Volatile.Read(ref _lastReceived)) < _options.KeepAliveTime)
                {
                    return;
                }

                _pingSentAt = _time.GetTimestamp();
                Http2FrameWriter.WritePing(_pending, KeepAlivePingPayload, ack: false);
                signal = ScheduleWrite();
            }
            else if (_time.GetElapsedTime(_pingSentAt) >= _options.KeepAliveTimeout)
            {
                // The client is gone or stuck: a GOAWAY would only wait in its unread buffers.
                CloseLocked(new IOException($"The client did not answer a keepalive PING within {_options.KeepAliveTimeout.TotalSeconds:0.###} s."), goAway: null);
            }
        }

        if (signal)
        {
            _writeSignal.Set();
        }
    }

    /// <summary>A connection with no stream open for the idle timeout is shut down gracefully.</summary>
    private void OnIdleTick()
    {
        lock (_sync)
        {
            if (_closed is not null || _shutdownRequested || _streams.Count > 0 || _time.GetElapsedTime(_idleSince) < _options.IdleTimeout)
            {
                return;
            }
        }

        Shutdown();
    }

    /// <summary>The error code's name as RFC 9113 spells it, for messages.</summary>
    private static string Name(Http2ErrorCode code) => code switch
    {
        Http2ErrorCode.NoError => "NO_ERROR",
        Http2ErrorCode.ProtocolError => "PROTOCOL_ERROR",
        Http2ErrorCode.InternalError => "INTERNAL_ERROR",
        Http2ErrorCode.FlowControlError => "FLOW_CONTROL_ERROR",
        Http2ErrorCode.SettingsTimeout => "SETTINGS_TIMEOUT",
        Http2ErrorCode.StreamClosed => "STREAM_CLOSED",
        Http2ErrorCode.FrameSizeError => "FRAME_SIZE_ERROR",
        Http2ErrorCode.RefusedStream => "REFUSED_STREAM",
        Http2ErrorCode.Cancel => "CANCEL",
        Http2ErrorCode.CompressionError => "COMPRESSION_ERROR",
        Http2ErrorCode.ConnectError => "CONNECT_ERROR",
        Http2ErrorCode.EnhanceYourCalm => "ENHANCE_YOUR_CALM",
        Http2ErrorCode.InadequateSecurity => "INADEQUATE_SECURITY",
        Http2ErrorCode.Http11Required => "HTTP_1_1_REQUIRED",
        _ => $"0x{(uint)code:x}",
    };
}
