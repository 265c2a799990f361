using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>
/// The client side of one HTTP/2 connection, multiplexing many streams. Built for forwarding: no HttpRequestMessage,
/// header blocks encoded straight from the caller's headers, DATA payloads copied once into the output.
/// <code>
///   callers ──(under _sync: HPACK-encode, frame, append to _pending)──► writer loop ──► one write per batch ─► transport
///   transport ─► read loop ─► frames ─► HPACK decode / body buffers / windows / settings / ping / goaway ─► streams
/// </code>
/// One lock guards the streams, the windows, the encoder and the output buffer: every holder only copies bytes or
/// flips state, so contention stays short, and frames from many streams leave together in one syscall.
/// Split by concern: .Reading.cs (the read loop and inbound frames), .Writing.cs (output and flow control).
/// </summary>
internal sealed partial class Http2ClientConnection : IAsyncDisposable
{
    private readonly Stream _transport;
    private readonly Http2ClientOptions _options;
    private readonly TimeProvider _time;
    private readonly PipeReader _input;
    private readonly HpackDecoder _decoder;
    private readonly HpackEncoder _encoder = new();
    private readonly Http2HeaderWriter _headerWriter;
    private readonly Dictionary<int, Http2ClientStream> _streams = [];
    // _streams.Count, for readers outside the lock.
    private int _openStreams;
    private readonly Stack<Http2BodyBuffer> _spareBodies = new();
    private readonly Lock _sync = new();
    private readonly TaskCompletionSource _settingsReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ITimer? _keepAliveTimer;
    private int _nextStreamId = 1;
    private int _maxConcurrentStreams;
    private int _goAwayLastStreamId = int.MaxValue;
    private string? _goAwayReason;
    private bool _goingAway;
    private Exception? _failure;
    private long _idleSince;
    private long _pingSentAt;
    private long _lastReceived;
    private Task _readLoop = Task.CompletedTask;

    private Http2ClientConnection(Stream transport, Http2ClientOptions options, TimeProvider time)
    {
        _transport = transport;
        _options = options;
        _time = time;
        _input = PipeReader.Create(transport, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        _decoder = new HpackDecoder(HpackDefaultTableSize, options.MaxHeaderListSize);
        _headerWriter = new Http2HeaderWriter(_encoder);
        _maxConcurrentStreams = options.DefaultMaxConcurrentStreams;
        _receiveWindow = options.InitialConnectionWindow;
        _connectionWindow = options.InitialConnectionWindow;
        _windowTuner = Http2WindowTuner.Create(options.InitialStreamWindow, options.MaxStreamWindow, time);

        _idleSince = time.GetTimestamp();
        _lastReceived = _idleSince;
        _pending = new PooledBufferWriter();
        _spare = new PooledBufferWriter();
        if (options.KeepAliveTime is { } keepAlive)
        {
            var period = keepAlive < options.KeepAliveTimeout ? keepAlive : options.KeepAliveTimeout;
            _keepAliveTimer = time.CreateTimer(static s => ((Http2ClientConnection)s!).OnKeepAliveTick(), this, period, period);
        }
    }

    private const int HpackDefaultTableSize = 4096;

    /// <summary>Raised (outside the lock) when a stream slot frees up or the connection stops taking streams.</summary>
    public event Action<Http2ClientConnection>? CapacityChanged;

    /// <summary>Streams open now.</summary>
    public int ActiveStreams
    {
        get
        {
            lock (_sync)
            {
                return _streams.Count;
            }
        }
    }

    /// <summary>
    /// The server ended the connection because our keepalive pings came more often than it allows (GOAWAY
    /// ENHANCE_YOUR_CALM "too_many_pings"): the next connection to it should ping less often.
    /// </summary>
    public bool TooManyPings { get; private set; }

    /// <summary>False once the connection failed, was closed, or the server sent GOAWAY: it takes no new streams.</summary>
    public bool IsUsable
    {
        get
        {
            lock (_sync)
            {
                return _failure is null && !_goingAway;
            }
        }
    }

    /// <summary>How long the connection has had no stream open; zero while it has some.</summary>
    public TimeSpan IdleFor
    {
        get
        {
            lock (_sync)
            {
                return _streams.Count > 0 ? TimeSpan.Zero : _time.GetElapsedTime(_idleSince);
            }
        }
    }

    /// <summary>
    /// Sends the preface and SETTINGS over <paramref name="transport"/> and waits for the server's SETTINGS; a server
    /// that does not speak HTTP/2 (or answers nothing) fails here, before any stream is risked on it.
    /// </summary>
    public static async Task<Http2ClientConnection> ConnectAsync(Stream transport, Http2ClientOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        var connection = new Http2ClientConnection(transport, options, time);
        connection.Start();
        try
        {
            await connection._settingsReceived.Task.WaitAsync(options.HandshakeTimeout, time, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (TimeoutException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"The server sent no HTTP/2 SETTINGS within {options.HandshakeTimeout.TotalSeconds:0.###} s; is it an HTTP/2 (h2c or h2) server?");
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Opens a stream and queues its HEADERS, written by <paramref name="writeHeaders"/> (pseudo-headers first). False
    /// when the connection has no room for another stream or takes no new ones. With <paramref name="flush"/> false the
    /// HEADERS wait for the stream's first write or <see cref="Http2ClientStream.Flush"/>, so that a request already in
    /// hand leaves with them in one write; the caller must do one of the two.
    /// </summary>
    public bool TryOpenStream<TState>(
        Action<Http2HeaderWriter, TState> writeHeaders, TState state, bool endStream, bool flush, [NotNullWhen(true)] out Http2ClientStream? stream)
    {
        bool signal;
        lock (_sync)
        {
            if (_nextStreamId > MaxStreamId && !_goingAway)
            {
                // Stream ids are spent (2^30 streams): finish the open ones on this connection, new ones go to another.
                StopTakingStreams();
            }

            if (_failure is not null || _goingAway || _streams.Count >= _maxConcurrentStreams)
            {
                stream = null;
                return false;
            }

            // A callback that throws, or a block over the server's limit, leaves nothing encoded: HPACK stays in step.
            _headerWriter.Begin();
            writeHeaders(_headerWriter, state);
            if (_headerWriter.ListSize > _peerMaxHeaderListSize)
            {
                throw _headerWriter.TooLarge("request headers", "server", _peerMaxHeaderListSize);
            }

            var id = _nextStreamId;
            _nextStreamId += 2;
            var body = _spareBodies.Count > 0 ? _spareBodies.Pop() : new Http2BodyBuffer(_sync);
            stream = new Http2ClientStream(this, body, id, _peerInitialWindow, _options.InitialStreamWindow) { LocalEnded = endStream };
            _streams.Add(id, stream);
            Volatile.Write(ref _openStreams, _streams.Count);
            Http2FrameWriter.WriteHeaders(_pending, id, _headerWriter.Encode(), endStream, _peerMaxFrameSize);
            signal = flush && ScheduleWrite();
        }

        if (signal)
        {
            _writeSignal.Set();
        }

        return true;
    }

    private const int MaxStreamId = int.MaxValue - 2;
    // As many as calls in flight on a busy connection: a pool smaller than that refills in bursts and allocates anyway.
    // An idle body buffer keeps one 4 KiB segment.
    private const int MaxSpareBodies = 1024;

    /// <summary>Resets <paramref name="stream"/> unless it already ended; its pending and later reads fail with <paramref name="reason"/>.</summary>
    internal void ResetStream(Http2ClientStream stream, Http2ErrorCode errorCode, Exception reason)
    {
        bool signal;
        lock (_sync)
        {
            if (stream.Closed)
            {
                return;
            }

            signal = false;
            if (_failure is null)
            {
                Http2FrameWriter.WriteRstStream(_pending, stream.Id, errorCode);
                signal = ScheduleWrite();
            }

            stream.Fail(reason);
            CloseStream(stream);
        }

        if (signal)
        {
            _writeSignal.Set();
        }

        OnCapacityChanged();
    }

    /// <summary>No new streams from now on; the connection closes once its open streams are done (under the lock).</summary>
    private void StopTakingStreams()
    {
        _goingAway = true;
        if (_streams.Count == 0 && _failure is null)
        {
            _ = Task.Run(() => DisposeAsync().AsTask());
        }
    }

    /// <summary>Removes a finished stream (under the lock).</summary>
    private void CloseStream(Http2ClientStream stream)
    {
        stream.Closed = true;
        _streams.Remove(stream.Id);
        Volatile.Write(ref _openStreams, _streams.Count);
        if (_streams.Count == 0)
        {
            _idleSince = _time.GetTimestamp();
            if (_goingAway && _failure is null)
            {
                // Drained after GOAWAY: nothing more will happen on this connection.
                _ = Task.Run(() => DisposeAsync().AsTask());
            }
        }
    }

    private void OnCapacityChanged() => CapacityChanged?.Invoke(this);

    /// <summary>
    /// Takes back a disposed stream's body buffer for the next stream. Under the lock, where the read loop writes bodies:
    /// a closed stream's body is no longer written; one somehow still open is simply not reused.
    /// </summary>
    internal void ReturnBody(Http2BodyBuffer body)
    {
        lock (_sync)
        {
            if (body.CompleteReaderAndReset() && _spareBodies.Count < MaxSpareBodies)
            {
                _spareBodies.Push(body);
            }
        }
    }

    /// <summary>Fails the connection: every open stream fails with <paramref name="error"/>, the transport closes.</summary>
    private void Abort(Exception error, bool flushPending = false)
    {
        Http2ClientStream[] streams;
        lock (_sync)
        {
            if (_failure is not null)
            {
                return;
            }

            _failure = error;
            streams = [.. _streams.Values];
            _streams.Clear();
            Volatile.Write(ref _openStreams, 0);
            foreach (var stream in streams)
            {
                stream.Closed = true;
                stream.Fail(StreamFailure(error));
            }
        }

        _keepAliveTimer?.Dispose();
        _settingsReceived.TrySetException(error);
        _writeSignal.Set();
        if (flushPending)
        {
            _ = CloseTransportAfterFlushAsync();
        }
        else
        {
            CloseTransport();
        }

        OnCapacityChanged();
    }

    /// <summary>Lets the writer send what is queued (a GOAWAY saying why), for a second at most, then closes.</summary>
    private async Task CloseTransportAfterFlushAsync()
    {
        await Task.WhenAny(_writeLoop, Task.Delay(TimeSpan.FromSeconds(1), _time)).ConfigureAwait(false);
        CloseTransport();
    }

    private void CloseTransport()
    {
        try
        {
            _transport.Dispose();
        }
        catch (IOException)
        {
        }
    }

    /// <summary>What a stream open when the connection failed reports; after a GOAWAY, with the server's reason.</summary>
    private Http2StreamException StreamFailure(Exception error)
    {
        var after = _goAwayReason is null ? "" : $" after the server's {_goAwayReason}";
        return error switch
        {
            Http2StreamException streamError => streamError,
            Http2ConnectionException protocol => new Http2StreamException(protocol.ErrorCode, false, $"The HTTP/2 connection failed{after}: {protocol.Message}", protocol),
            _ => new Http2StreamException(Http2ErrorCode.InternalError, false, $"The HTTP/2 connection was lost{after}: {error.Message}", error),
        };
    }

    private void OnKeepAliveTick()
    {
        bool signal;
        var unanswered = false;
        lock (_sync)
        {
            if (_failure is not null || (_pingSentAt == 0 && _streams.Count == 0))
            {
                return;
            }

            if (_pingSentAt == 0)
            {
                // Only a connection that has been silent this long is probed: one that hears from the server is alive.
                if (_time.GetElapsedTime(Volatile.Read(ref _lastReceived)) < _options.KeepAliveTime)
                {
                    return;
                }

                _pingSentAt = _time.GetTimestamp();
                Http2FrameWriter.WritePing(_pending, KeepAlivePingPayload, ack: false);
                signal = ScheduleWrite();
            }
            else if (_time.GetElapsedTime(_pingSentAt) < _options.KeepAliveTimeout)
            {
                return;
            }
            else
            {
                signal = false;
                unanswered = true;
            }
        }

        if (unanswered)
        {
            Abort(new IOException($"The server did not answer a keepalive PING within {_options.KeepAliveTimeout.TotalSeconds:0.###} s."));
        }
        else if (signal)
        {
            _writeSignal.Set();
        }
    }

    private const long KeepAlivePingPayload = 0x4665727279_4b41; // "FerryKA"

    /// <summary>Says goodbye (GOAWAY NO_ERROR) when possible, then closes; open streams fail.</summary>
    public async ValueTask DisposeAsync()
    {
        bool graceful;
        lock (_sync)
        {
            graceful = _failure is null;
            if (graceful)
            {
                Http2FrameWriter.WriteGoAway(_pending, 0, Http2ErrorCode.NoError);
                ScheduleWrite();
            }
        }

        Abort(new ObjectDisposedException(nameof(Http2ClientConnection), "The connection was closed."), flushPending: graceful);
        await _readLoop.ConfigureAwait(false);
        await _writeLoop.ConfigureAwait(false);
        _headerWriter.Release();
    }
}
