using System.Buffers;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>
/// Output and send-side flow control. Frames are appended to <see cref="_pending"/> under the lock; one writer loop
/// swaps it for the spare buffer and writes the batch, so frames queued while a write is in progress leave together.
/// What waits in <see cref="_pending"/> is bounded by the server's flow-control windows (DATA) plus small frames.
/// </summary>
internal sealed partial class Http2ClientConnection
{
    private readonly AsyncSignal _writeSignal = new();
    private readonly Http2SendTurns<Http2ClientStream> _sendTurns = new();
    private PooledBufferWriter _pending;
    private PooledBufferWriter _spare;
    private bool _writeScheduled;
    private Task _writeLoop = Task.CompletedTask;
    private int _peerInitialWindow = DefaultWindow;
    private int _peerMaxFrameSize = DefaultMaxFrameSize;
    // Unlimited until the server's SETTINGS say otherwise (RFC 9113 section 6.5.2).
    private long _peerMaxHeaderListSize = long.MaxValue;
    private long _sendWindow = DefaultWindow;

    private const int DefaultWindow = 65_535;
    private const int DefaultMaxFrameSize = 16_384;

    private void Start()
    {
        lock (_sync)
        {
            _pending.Write(Http2FrameWriter.ClientPreface);
            Http2FrameWriter.WriteSettings(_pending,
            [
                (Http2SettingId.EnablePush, 0),
                (Http2SettingId.InitialWindowSize, (uint)_options.InitialStreamWindow),
                (Http2SettingId.MaxFrameSize, (uint)_options.MaxFrameSize),
                (Http2SettingId.MaxHeaderListSize, (uint)_options.MaxHeaderListSize),
            ]);
            if (_options.InitialConnectionWindow > DefaultWindow)
            {
                Http2FrameWriter.WriteWindowUpdate(_pending, 0, _options.InitialConnectionWindow - DefaultWindow);
            }

            _writeScheduled = true;
        }

        _writeSignal.Set();
        _writeLoop = Task.Run(WriteLoopAsync);
        _readLoop = Task.Run(ReadLoopAsync);
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

    private async Task WriteLoopAsync()
    {
        try
        {
            while (true)
            {
                await _writeSignal.WaitAsync().ConfigureAwait(false);
                while (true)
                {
                    PooledBufferWriter batch;
                    lock (_sync)
                    {
                        if (_pending.WrittenCount == 0)
                        {
                            _writeScheduled = false;
                            if (_failure is not null)
                            {
                                return;
                            }

                            break;
                        }

                        batch = _pending;
                        _pending = _spare;
                        _spare = batch;
                    }

                    await _transport.WriteAsync(batch.WrittenMemory).ConfigureAwait(false);
                    batch.Reset();
                }
            }
        }
        catch (Exception ex)
        {
            Abort(ex is IOException or ObjectDisposedException ? ex : new IOException("Writing to the server failed.", ex));
        }
        finally
        {
            lock (_sync)
            {
                _pending.Dispose();
                _spare.Dispose();
            }
        }
    }

    internal bool TryWriteData(Http2ClientStream stream, in ReadOnlySequence<byte> data, bool endStream)
    {
        bool signal;
        lock (_sync)
        {
            ThrowIfCannotSend(stream);
            var length = data.Length;
            if (length > stream.SendWindow || length > _sendWindow || (length > 0 && _sendTurns.IsBusy))
            {
                return false;
            }

            WriteDataFrames(stream, data, endStream);
            signal = ScheduleWrite();
        }

        AfterWrite(stream, signal);
        return true;
    }

    internal async ValueTask WriteDataAsync(Http2ClientStream stream, ReadOnlySequence<byte> data, bool endStream)
    {
        try
        {
            while (true)
            {
                Task? wait = null;
                bool signal;
                lock (_sync)
                {
                    var turn = _sendTurns.Take(stream);
                    ThrowIfCannotSend(stream);
                    if (data.IsEmpty)
                    {
                        WriteDataFrames(stream, data, endStream);
                        signal = ScheduleWrite();
                    }
                    else if (stream.SendWindow <= 0)
                    {
                        // Only the server's WINDOW_UPDATE for this stream helps; others may use the window meanwhile.
                        wait = _sendTurns.WaitForOwnWindow(stream);
                        // HEADERS held back for this write go out while it waits.
                        signal = _pending.WrittenCount > 0 && ScheduleWrite();
                    }
                    else if (_sendWindow <= 0 || (!turn && _sendTurns.IsBusy))
                    {
                        // The connection window is shared: first in line when it opens, if this stream had the turn.
                        wait = _sendTurns.Wait(stream, first: turn);
                        signal = _pending.WrittenCount > 0 && ScheduleWrite();
                    }
                    else
                    {
                        var allowed = _sendTurns.ShareOf(Math.Min(Math.Min(stream.SendWindow, _sendWindow), data.Length));
                        var chunk = data.Slice(0, allowed);
                        data = data.Slice(allowed);
                        WriteDataFrames(stream, chunk, endStream && data.IsEmpty);
                        signal = ScheduleWrite();
                        wait = _sendTurns.YieldTurn(stream, more: !data.IsEmpty);
                    }

                    GrantWindowLocked();
                }

                AfterWrite(stream, signal);
                if (wait is not null)
                {
                    await wait.ConfigureAwait(false);
                }
                else if (data.IsEmpty)
                {
                    return;
                }
            }
        }
        catch
        {
            // Failed while waiting or woken: it waits no more, and its place in line goes to the next stream.
            lock (_sync)
            {
                _sendTurns.Leave(stream);
                GrantWindowLocked();
            }

            throw;
        }
    }

    internal void EndRequest(Http2ClientStream stream)
    {
        bool signal;
        lock (_sync)
        {
            if (stream.LocalEnded || stream.Closed || _failure is not null)
            {
                return;
            }

            WriteDataFrames(stream, ReadOnlySequence<byte>.Empty, endStream: true);
            signal = ScheduleWrite();
        }

        AfterWrite(stream, signal);
    }

    /// <summary>Sends what <paramref name="stream"/> queued without a write of its own (its HEADERS), if still queued.</summary>
    internal void Flush(Http2ClientStream stream)
    {
        bool signal;
        lock (_sync)
        {
            signal = _pending.WrittenCount > 0 && ScheduleWrite();
        }

        AfterWrite(stream, signal);
    }

    /// <summary>
    /// Outside the lock: wakes the writer if asked, and tells the pool when the write finished the stream. Within a
    /// read batch (<see cref="Http2ReadBatch"/>) the writer runs when the batch ends. Otherwise the only stream on the
    /// connection has no one's frames to wait for: the writer runs on this thread, saving a thread-pool hop (a
    /// wake-up on an idle core) per write; with others open, it runs later and sends what they added meanwhile.
    /// </summary>
    private void AfterWrite(Http2ClientStream stream, bool signal)
    {
        if (signal)
        {
            Http2ReadBatch.Wake(_writeSignal, inline: Volatile.Read(ref _openStreams) <= 1);
        }

        if (stream.Closed)
        {
            OnCapacityChanged();
        }
    }

    private void ThrowIfCannotSend(Http2ClientStream stream)
    {
        if (stream.Closed || _failure is not null)
        {
            throw new OperationCanceledException("The stream has ended; no more request data can be sent.");
        }

        if (stream.LocalEnded)
        {
            throw new InvalidOperationException("The request was already ended.");
        }
    }

    /// <summary>DATA frames of at most the server's frame size, taken from the windows (under the lock).</summary>
    private void WriteDataFrames(Http2ClientStream stream, ReadOnlySequence<byte> data, bool endStream)
    {
        var length = data.Length;
        stream.SendWindow -= length;
        _sendWindow -= length;
        Http2FrameWriter.WriteDataFrames(_pending, stream.Id, data, endStream, _peerMaxFrameSize);

        if (endStream)
        {
            stream.LocalEnded = true;
            if (stream.RemoteEnded)
            {
                CloseStream(stream);
            }
        }
    }

    /// <summary>
    /// Hands the connection window to the first waiting stream if it is open and no stream holds it already (under
    /// the lock): after a stream used its turn or gave it up, or the server's WINDOW_UPDATE opened the window.
    /// </summary>
    private void GrantWindowLocked()
    {
        if (_sendWindow > 0)
        {
            _sendTurns.GrantNext();
        }
    }

    /// <summary>The caller consumed body bytes: grant the server that much stream window again, in batches.</summary>
    internal void OnBodyConsumed(Http2ClientStream stream, int length)
    {
        bool signal;
        lock (_sync)
        {
            if (stream.RemoteEnded || stream.Closed || _failure is not null)
            {
                return;
            }

            stream.UnackedConsumed += length;
            if (stream.UnackedConsumed < stream.WindowSize / 2)
            {
                return;
            }

            var increment = stream.UnackedConsumed + (_windowTuner?.OnStreamCredit(ref stream.WindowSize) ?? 0);
            stream.ReceiveWindow += increment;
            Http2FrameWriter.WriteWindowUpdate(_pending, stream.Id, increment);
            stream.UnackedConsumed = 0;
            signal = ScheduleWrite();
        }

        if (signal)
        {
            _writeSignal.Set();
        }
    }
}
