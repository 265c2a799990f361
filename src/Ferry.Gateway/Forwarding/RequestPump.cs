using System.IO.Pipelines;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;

namespace Ferry.Gateway.Forwarding;

/// <summary>
/// Copies the client's request body to the backend stream as it arrives, never parsed or buffered beyond one read.
/// Waiting on the client applies backpressure to it; waiting for the backend's flow-control window stops reading
/// from the client. A unary request that is already here leaves with its HEADERS in one write.
/// Until the backend has taken the stream (its response headers came), the first <see cref="MaxHeldBytes"/> of the
/// request (at most half the client's stream window) are sent but left unconsumed in the client's stream: if the
/// backend turns the stream away unprocessed (REFUSED_STREAM, GOAWAY at a request limit or a restart), the forwarder
/// sends them again on another connection.
/// That covers unary calls and short client streams, also from clients that end the request in a frame of its own
/// (HttpClient); a longer request is consumed as it goes, so holding it never stalls the client's window.
/// </summary>
internal sealed class RequestPump(Http2ServerStream source, Http2ClientStream stream, ForwardingCall call)
{
    /// <summary>How much of a request is kept for sending again; far below any client stream window.</summary>
    public const int MaxHeldBytes = 64 * 1024;

    // Held bytes return no window to the client: a hold of half its window leaves it the other half to go on with.
    private readonly long _holdLimit = Math.Min(MaxHeldBytes, source.WindowSize / 2);
    private volatile bool _stopped;
    private volatile bool _consumed;
    private volatile bool _taken;
    private bool _held;
    private long _sent;

    /// <summary>
    /// Whether the request can still be sent again: nothing was taken from the client yet, or all of it is held.
    /// </summary>
    public bool CanReplay => !_consumed;

    /// <summary>The backend took the stream (its response began): what is held need not be kept any longer.</summary>
    public void OnTaken() => _taken = true;

    /// <summary>
    /// The attempt is over and will not be repeated: a held request is consumed from the client's pipe (and counted)
    /// now. Call after the copy ended.
    /// </summary>
    public void Commit()
    {
        if (!_held)
        {
            return;
        }

        _held = false;
        try
        {
            if (source.TryReadBody(out var result))
            {
                var held = result.Buffer.Slice(0, Math.Min(_sent, result.Buffer.Length));
                call.OnRequestBytes(held.Length, CountMessages(held));
                source.AdvanceBody(held.End);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException)
        {
            // The client is gone and its request with it: nothing is left to consume.
        }
    }

    /// <summary>Stops the copy (the response is over): a pending read of the client returns at once.</summary>
    public void Stop()
    {
        _stopped = true;
        source.CancelPendingBodyRead();
    }

    /// <summary>The call was cancelled: reset the backend stream and stop.</summary>
    public void Abort()
    {
        stream.Reset(Http2ErrorCode.Cancel, new OperationCanceledException($"The call was ended by the gateway ({call.Reason})."));
        Stop();
    }

    /// <summary>Runs until the request ends or the copy is stopped; never throws (the response side reports failures).</summary>
    public async Task RunAsync()
    {
        var tracker = default(GrpcFrameTracker);
        var waitForMore = false;
        try
        {
            while (!_stopped)
            {
                // After a hold, only new data is of use: a synchronous read would return the held bytes at once.
                if (waitForMore || !TryReadClient(out var result))
                {
                    // Nothing to send with the HEADERS: they leave now (a server may answer before the client writes).
                    stream.Flush();
                    try
                    {
                        result = await source.ReadBodyAsync().ConfigureAwait(false);
                    }
                    catch (Exception) when (!_stopped)
                    {
                        MarkClientGone();
                        throw;
                    }
                }

                if (_stopped)
                {
                    source.AdvanceBody(result.Buffer.Start);
                    return;
                }

                waitForMore = false;
                var buffer = result.Buffer;
                var end = result.IsCompleted;
                if (!_consumed && !_taken && buffer.Length <= _holdLimit)
                {
                    // Still all in the pipe: send what is new, keep the whole of it until the backend takes the stream
                    // (also while a write waits for window: a GOAWAY can turn the stream away then).
                    var fresh = buffer.Slice(_sent);
                    try
                    {
                        if ((!fresh.IsEmpty || end) && !stream.TryWriteData(fresh, end))
                        {
                            await stream.WriteDataAsync(fresh, end).ConfigureAwait(false);
                        }

                        _sent = buffer.Length;
                    }
                    finally
                    {
                        _held = true;
                        AdvanceClient(buffer.Start, buffer.End);
                    }

                    if (end)
                    {
                        return;
                    }

                    waitForMore = true;
                    continue;
                }

                try
                {
                    // From here on the request is consumed as it goes; what was held (sent already) goes with it.
                    var unsent = buffer.Slice(_sent);
                    _consumed = true;
                    _held = false;
                    _sent = 0;
                    tracker.Advance(buffer);
                    if ((!unsent.IsEmpty || end) && !stream.TryWriteData(unsent, end))
                    {
                        await stream.WriteDataAsync(unsent, end).ConfigureAwait(false);
                    }

                    if (!buffer.IsEmpty)
                    {
                        call.OnRequestBytes(buffer.Length, tracker.Messages);
                    }
                }
                finally
                {
                    AdvanceClient(buffer.End, buffer.End);
                }

                if (end)
                {
                    return;
                }
            }
        }
        catch (Exception) when (_stopped || call.IsOver || stream.IsClosed)
        {
            // The call is ending anyway; whoever ended it reports why.
        }
        catch (Exception ex)
        {
            // The backend stream failed under the copy; the response side sees the same failure and reports it.
            stream.Reset(Http2ErrorCode.Cancel, new IOException($"Copying the request to the backend failed: {ex.Message}", ex));
        }
    }

    private static long CountMessages(in System.Buffers.ReadOnlySequence<byte> buffer)
    {
        var tracker = default(GrpcFrameTracker);
        tracker.Advance(buffer);
        return tracker.Messages;
    }

    // The client's body fails only when the client went away (its connection faulted, it reset the stream, it broke
    // the protocol). The stream's abort callback says so too, but from the thread pool, so the call is marked as soon
    // as a read or an advance fails, before the failure reaches the forwarder: otherwise a client dropping a
    // connection with calls in flight would count as backend failures and could eject a healthy backend.
    private void MarkClientGone() => call.Cancel(CancelReason.ClientGone);

    private bool TryReadClient(out ReadResult result)
    {
        try
        {
            return source.TryReadBody(out result);
        }
        catch (Exception) when (!_stopped)
        {
            MarkClientGone();
            throw;
        }
    }

    private void AdvanceClient(SequencePosition consumed, SequencePosition examined)
    {
        try
        {
            source.AdvanceBody(consumed, examined);
        }
        catch (Exception) when (!_stopped)
        {
            MarkClientGone();
            throw;
        }
    }
}
