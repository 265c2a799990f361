using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>
/// Output, responses and send-side flow control. Frames are appended to <see cref="_pending"/> under the lock; one
/// writer loop swaps it for the spare buffer and writes the batch, so frames queued while a write is in progress
/// leave together. What waits in <see cref="_pending"/> is bounded by the client's windows and, should a client grant
/// huge windows and not read, by <see cref="Http2ServerOptions.MaxBufferedOutput"/> (DATA writers then wait for the writer); answers to
/// the client's own frames are bounded by <see cref="MaxControlBacklog"/>.
/// </summary>
internal sealed partial class Http2ServerConnection
{
    private readonly AsyncSignal _writeSignal = new();
    private readonly Http2SendTurns<Http2ServerStream> _sendTurns = new();
    private PooledBufferWriter _pending = new();
    private PooledBufferWriter _spare = new();
    private bool _writeScheduled;
    private bool _prefaceSent;
    // Why the writer stopped before the connection closed normally; output still buffered in the transport is dropped.
    private Exception? _outputFailure;
    // Bytes of answers to the client's frames (acks, resets, window updates) queued since a write last completed.
    private int _controlBacklog;
    private int _peerInitialWindow = DefaultWindow;
    private int _peerMaxFrameSize = DefaultMaxFrameSize;
    private long _sendWindow = DefaultWindow;

    private const int DefaultWindow = 65_535;
    private const int DefaultMaxFrameSize = 16_384;
    // A client that sends PINGs, SETTINGS or resets and never reads the answers would have them queue without end.
    private const int MaxControlBacklog = 1024 * 1024;
    // Response data is split so that other streams' frames can interleave, whatever frame size the client allows.
    private const int MaxDataFrameSize = 64 * 1024;
    // Data bigger than the room left in the output buffer is queued in pieces of at least this size.
    private const int MinOutputPiece = 16 * 1024;
    // A batch buffer up to this size is kept for the next batch; a larger one is returned to the pool.
    private const int MaxRetainedBatch = 64 * 1024;

    /// <summary>Our SETTINGS and the connection window's raise, sent once the client's preface arrived (under the lock).</summary>
    private void QueueServerPrefaceLocked()
    {
        Http2FrameWriter.WriteSettings(_pending,
        [
            (Http2SettingId.MaxConcurrentStreams, (uint)_options.MaxConcurrentStreams),
            (Http2SettingId.InitialWindowSize, (uint)_options.InitialStreamWindow),
            (Http2SettingId.MaxFrameSize, (uint)_options.MaxFrameSize),
            (Http2SettingId.MaxHeaderListSize, (uint)_options.MaxHeaderListSize),
        ]);
        if (_options.InitialConnectionWindow > DefaultWindow)
        {
            Http2FrameWriter.WriteWindowUpdate(_pending, 0, _options.InitialConnectionWindow - DefaultWindow);
        }

        _prefaceSent = true;
    }

    /// <summary>Marks output as queued (under the lock); true when the caller must signal the writer after unlocking.</summary>
    private bool ScheduleWrite()
    {
        if (_writeScheduled)
        {
            return false;
        }

        _writeScheduled = true;
        return true;
    }

    /// <summary>
    /// Outside the lock: wakes the writer if asked. Within a read batch (<see cref="Http2ReadBatch"/>) the writer
    /// runs when the batch ends. Otherwise, with one stream open nobody else's frames can join, so the writer runs on
    /// this thread, saving a thread-pool hop per write; with more it runs soon after and takes what the others queued
    /// meanwhile.
    /// </summary>
    private void AfterWrite(bool signal)
    {
        if (signal)
        {
            Http2ReadBatch.Wake(_writeSignal, inline: Volatile.Read(ref _openStreams) <= 1);
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            while (true)
            {
                await _writeSignal.WaitAsync().ConfigureAwait(false);
                var wrote = false;
                while (true)
                {
                    PooledBufferWriter batch;
                    lock (_sync)
                    {
                        if (wrote)
                        {
                            // The client is reading: what it asked us to answer has left.
                            _controlBacklog = 0;
                        }

                        if (_pending.WrittenCount == 0)
                        {
                            _writeScheduled = false;
                            if (_closed is not null)
                            {
                                return;
                            }

                            break;
                        }

                        batch = _pending;
                        _pending = _spare;
                        _spare = batch;
                        GrantCapacityLocked();
                    }

                    var sent = await SendAsync(batch.WrittenMemory).ConfigureAwait(false);
                    if (batch.WrittenCount > MaxRetainedBatch)
                    {
                        // A burst's buffer goes back to the pool, so an idle connection does not keep megabytes.
                        batch.Dispose();
                    }
                    else
                    {
                        batch.Reset();
                    }

                    wrote = true;
                    if (!sent)
                    {
                        // The transport is gone, or a closing connection's client did not take its last frames in time.
                        _outputFailure = new IOException("The client stopped taking data from the connection.");
                        Close(_outputFailure, goAway: null);
                        return;
                    }
                }
            }
        }
        catch (Exception ex)
        {
            _outputFailure = ex is IOException ? ex : new IOException("Writing to the client failed.", ex);
            Close(_outputFailure, goAway: null);
        }
    }

    /// <summary>Writes a batch to the client: false if the transport is gone or a closing connection's send was cancelled.</summary>
    private async ValueTask<bool> SendAsync(ReadOnlyMemory<byte> batch)
    {
        if (_socket is null)
        {
            var flush = await _output.WriteAsync(batch).ConfigureAwait(false);
            return !flush.IsCompleted && !flush.IsCanceled;
        }

        try
        {
            while (!batch.IsEmpty)
            {
                var sent = await _socket.SendAsync(batch, SocketFlags.None, _sendCancellation!.Token).ConfigureAwait(false);
                batch = batch[sent..];
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>A closing connection's client did not take its last frames in time: the write in progress gives up.</summary>
    private void CancelPendingSend()
    {
        _output.CancelPendingFlush();
        _sendCancellation?.Cancel();
    }

    /// <summary>Accounts for an answer to the client's frames just queued (under the lock); a client that never reads them is cut off.</summary>
    private void AddControlBacklogLocked(int bytes)
    {
        _controlBacklog += bytes;
        if (_controlBacklog > MaxControlBacklog)
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, "The client sends frames that need answers faster than it reads the answers.");
        }
    }

    /// <summary>Queues RST_STREAM (under the lock) unless the connection ended; true when the writer needs a signal.</summary>
    private bool WriteRstStreamLocked(int streamId, Http2ErrorCode code)
    {
        if (_closed is not null)
        {
            return false;
        }

        Http2FrameWriter.WriteRstStream(_pending, streamId, code);
        return ScheduleWrite();
    }

    private void WriteGoAwayLocked(Http2ErrorCode code, string? debug)
    {
        var lastStreamId = Math.Min(_lastProcessedStreamId, _goAwayLastStreamId);
        Span<byte> debugData = stackalloc byte[MaxGoAwayDebugLength];
        var length = 0;
        if (debug is not null)
        {
            // ASCII only (others become '?'), and short: it is for the client's logs.
            length = System.Text.Encoding.ASCII.GetBytes(debug.AsSpan(0, Math.Min(debug.Length, MaxGoAwayDebugLength)), debugData);
        }

        Http2FrameWriter.WriteGoAway(_pending, lastStreamId, code, debugData[..length]);
        ScheduleWrite();
    }

    private const int MaxGoAwayDebugLength = 128;

    internal void WriteHeaders<TState>(Http2ServerStream stream, int status, TState state, Action<Http2HeaderWriter, TState> write, bool endStream)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(status, 200);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(status, 999);
        WriteHeaderBlock(stream, status, state, write, endStream);
    }

    internal void WriteTrailers<TState>(Http2ServerStream stream, TState state, Action<Http2HeaderWriter, TState> write) =>
        WriteHeaderBlock(stream, status: 0, state, write, endStream: true);

    /// <summary>
    /// Encodes and queues response headers (<paramref name="status"/> above 0) or trailers; a callback that throws
    /// resets the stream. The client's SETTINGS_MAX_HEADER_LIST_SIZE is advisory (RFC 9113 section 6.5.2) and not
    /// applied here, as nginx and Envoy do not: what a client takes is its own decision, and a proxy that refused on
    /// its behalf would fail calls the client would have accepted.
    /// </summary>
    private void WriteHeaderBlock<TState>(Http2ServerStream stream, int status, TState state, Action<Http2HeaderWriter, TState> write, bool endStream)
    {
        var signal = false;
        Exception? failure = null;
        lock (_sync)
        {
            if (status > 0 ? stream.HeadersSent : !stream.HeadersSent || stream.LocalEnded)
            {
                throw new InvalidOperationException(status > 0
                    ? "The response headers were already written."
                    : "Trailers need the response headers first and end the response once.");
            }

            if (status > 0)
            {
                // Even on a closed stream, so that the handler's next data write fails for the right reason.
                Volatile.Write(ref stream.HeadersSent, true);
            }

            if (stream.Closed || _closed is not null)
            {
                return;
            }

            _headerWriter.Begin();
            if (status > 0)
            {
                _headerWriter.AddOctets(":status", StatusText(status));
            }

            try
            {
                write(_headerWriter, state);
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            if (failure is null)
            {
                Http2FrameWriter.WriteHeaders(_pending, stream.Id, _headerWriter.Encode(), endStream, _peerMaxFrameSize);
                if (endStream)
                {
                    EndLocalLocked(stream);
                    signal = ScheduleWrite();
                }
            }
            else
            {
                // Nothing of the block was encoded, so HPACK is still in step; the reset tells the client the response
                // is broken.
                signal = WriteRstStreamLocked(stream.Id, Http2ErrorCode.InternalError);
                CloseStreamLocked(stream, new Http2StreamException(Http2ErrorCode.InternalError, false, "Writing the response headers failed.", failure), notify: false);
            }
        }

        AfterWrite(signal);
        if (failure is not null)
        {
            ExceptionDispatchInfo.Throw(failure);
        }
    }

    private static string StatusText(int status) => status switch
    {
        200 => "200",
        204 => "204",
        400 => "400",
        404 => "404",
        431 => "431",
        500 => "500",
        503 => "503",
        _ => status.ToString(CultureInfo.InvariantCulture),
    };

    internal bool TryWriteData(Http2ServerStream stream, in ReadOnlySequence<byte> data, bool endStream)
    {
        bool signal;
        lock (_sync)
        {
            if (stream.Closed || _closed is not null)
            {
                return false;
            }

            ThrowIfCannotWriteData(stream);

            var length = data.Length;
            if (length > stream.SendWindow || length > _sendWindow || (length > 0 && (length > OutputRoomLocked() || _sendTurns.IsBusy)))
            {
                return false;
            }

            if (length == 0 && !endStream)
            {
                return true;
            }

            WriteDataFrames(stream, data, endStream);
            signal = ScheduleWrite();
        }

        AfterWrite(signal);
        return true;
    }

    internal async ValueTask WriteDataAsync(Http2ServerStream stream, ReadOnlySequence<byte> data, bool endStream, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Task? wait = null;
                var signal = false;
                lock (_sync)
                {
                    var turn = _sendTurns.Take(stream);
                    if (stream.Closed || _closed is not null)
                    {
                        GrantCapacityLocked();
                        throw stream.Failure ?? new IOException("The stream is closed.");
                    }

                    ThrowIfCannotWriteData(stream);

                    if (data.IsEmpty)
                    {
                        if (endStream)
                        {
                            WriteDataFrames(stream, data, endStream: true);
                            signal = ScheduleWrite();
                        }

                        GrantCapacityLocked();
                    }
                    else if (stream.SendWindow <= 0)
                    {
                        // Only the client's WINDOW_UPDATE for this stream helps; others may use the capacity meanwhile.
                        wait = _sendTurns.WaitForOwnWindow(stream);
                        signal = _pending.WrittenCount > 0 && ScheduleWrite();
                        GrantCapacityLocked();
                    }
                    else if (!turn && _sendTurns.IsBusy)
                    {
                        wait = _sendTurns.Wait(stream, first: false);
                        signal = _pending.WrittenCount > 0 && ScheduleWrite();
                    }
                    else
                    {
                        var windows = Math.Min(Math.Min(stream.SendWindow, _sendWindow), data.Length);
                        // Output room is only worth taking a piece at a time if the piece is not tiny.
                        var room = OutputRoomLocked();
                        var allowed = windows <= room ? windows : room >= MinOutputPiece ? room : 0;
                        if (allowed <= 0)
                        {
                            // The connection window or the output buffer is full: first in line when it frees.
                            wait = _sendTurns.Wait(stream, first: turn);
                            // Headers queued for this write leave while it waits.
                            signal = _pending.WrittenCount > 0 && ScheduleWrite();
                        }
                        else
                        {
                            var chunk = data.Slice(0, _sendTurns.ShareOf(allowed));
                            data = data.Slice(chunk.Length);
                            WriteDataFrames(stream, chunk, endStream && data.IsEmpty);
                            signal = ScheduleWrite();
                            wait = _sendTurns.YieldTurn(stream, more: !data.IsEmpty);

                            GrantCapacityLocked();
                        }
                    }
                }

                AfterWrite(signal);
                if (wait is not null)
                {
                    await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                else if (data.IsEmpty)
                {
                    return;
                }
            }
        }
        catch
        {
            // Cancelled or failed while waiting or woken: it waits no more, and its place in line goes to the next stream.
            lock (_sync)
            {
                _sendTurns.Leave(stream);
                GrantCapacityLocked();
            }

            throw;
        }
    }

    /// <summary>
    /// Hands the shared capacity to the first waiting stream if there is some to hand and no stream holds it already
    /// (under the lock): after a stream used its turn or gave it up, or the writer or a window update freed capacity.
    /// </summary>
    private void GrantCapacityLocked()
    {
        if (_sendWindow > 0 && OutputRoomLocked() >= MinOutputPiece)
        {
            _sendTurns.GrantNext();
        }
    }

    /// <summary>
    /// How many more DATA octets may be queued for the writer (under the lock): what waits in <see cref="_pending"/>
    /// stays within <see cref="Http2ServerOptions.MaxBufferedOutput"/>, so a batch never grows past it, however much
    /// a client's windows allow.
    /// </summary>
    private long OutputRoomLocked() => _options.MaxBufferedOutput - _pending.WrittenCount;

    private static void ThrowIfCannotWriteData(Http2ServerStream stream)
    {
        if (!stream.HeadersSent)
        {
            throw new InvalidOperationException("The response headers must be written before its data.");
        }

        if (stream.LocalEnded)
        {
            throw new InvalidOperationException("The response has already ended.");
        }
    }

    /// <summary>DATA frames of at most the client's frame size, taken from the windows (under the lock).</summary>
    private void WriteDataFrames(Http2ServerStream stream, ReadOnlySequence<byte> data, bool endStream)
    {
        var length = data.Length;
        stream.SendWindow -= length;
        _sendWindow -= length;
        Volatile.Write(ref stream.DataQueued, stream.DataQueued + length);
        Http2FrameWriter.WriteDataFrames(_pending, stream.Id, data, endStream, Math.Min(_peerMaxFrameSize, MaxDataFrameSize));

        if (endStream)
        {
            EndLocalLocked(stream);
        }
    }

    /// <summary>The response ended (under the lock); with the request over too, the stream closes.</summary>
    private void EndLocalLocked(Http2ServerStream stream)
    {
        stream.LocalEnded = true;
        if (stream.RemoteEnded)
        {
            CloseStreamLocked(stream, error: null, notify: false);
        }
    }

    internal void Flush()
    {
        bool signal;
        lock (_sync)
        {
            signal = _pending.WrittenCount > 0 && ScheduleWrite();
        }

        AfterWrite(signal);
    }

    /// <summary>The handler consumed body bytes: grant the client that much stream window again, in batches.</summary>
    internal void OnBodyConsumed(Http2ServerStream stream, int length)
    {
        bool signal;
        lock (_sync)
        {
            if (stream.RemoteEnded || stream.Closed || _closed is not null)
            {
                return;
            }

            stream.UnackedConsumed += length;
            signal = CreditStreamLocked(stream);
        }

        AfterWrite(signal);
    }

    /// <summary>
    /// Returns a stream's consumed window once half its window was used (under the lock), so a client streaming
    /// steadily gets a WINDOW_UPDATE per half window, not per read; the window grows with it when the tuner says the
    /// path needs more. True when the writer needs a signal.
    /// </summary>
    private bool CreditStreamLocked(Http2ServerStream stream)
    {
        if (stream.UnackedConsumed < stream.WindowSize / 2)
        {
            return false;
        }

        var increment = stream.UnackedConsumed + (_windowTuner?.OnStreamCredit(ref stream.WindowSize) ?? 0);
        stream.ReceiveWindow += increment;
        Http2FrameWriter.WriteWindowUpdate(_pending, stream.Id, increment);
        stream.UnackedConsumed = 0;
        return ScheduleWrite();
    }
}
