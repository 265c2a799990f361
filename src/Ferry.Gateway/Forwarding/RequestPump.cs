using System.IO.Pipelines;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;

namespace Ferry.Gateway.Forwarding;

/// <summary>
/// Copies the client's request body to the backend stream as it arrives, never parsed or buffered beyond one read.
/// Waiting on the client applies backpressure to it; waiting for the backend's flow-control window stops reading
/// from the client. A unary request that is already here leaves with its HEADERS in one write.
/// A request that arrived whole in one read (unary, small client streams) is sent but left unconsumed in the
/// client's stream until <see cref="Commit"/>: if the backend turns the stream away unprocessed (REFUSED_STREAM,
/// GOAWAY during a restart), the forwarder sends it again on another connection.
/// </summary>
internal sealed class RequestPump(Http2ServerStream source, Http2ClientStream stream, ForwardingCall call, bool replay)
{
    private volatile bool _stopped;
    private volatile bool _consumed;
    private bool _held;

    /// <summary>
    /// Whether the request can still be sent again: nothing was taken from the client yet, or all of it is held.
    /// </summary>
    public bool CanReplay => !_consumed;

    /// <summary>The attempt is over and will not be repeated: a held request is consumed from the client's pipe now. Call after the copy ended.</summary>
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
                source.AdvanceBody(result, result.Buffer.End);
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
        try
        {
            while (!_stopped)
            {
                if (!TryReadClient(out var result))
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
                    source.AdvanceBody(result, result.Buffer.Start);
                    return;
                }

                var buffer = result.Buffer;
                var end = result.IsCompleted;
                if (end && !_consumed && stream.TryWriteData(buffer, endStream: true))
                {
                    // The whole request in hand and sent: keep it in the pipe until the backend has taken the stream.
                    _held = true;
                    if (!replay)
                    {
                        call.OnRequestBytes(buffer.Length, CountMessages(buffer));
                    }

                    AdvanceClient(result, buffer.Start, buffer.End);
                    return;
                }

                try
                {
                    if (!buffer.IsEmpty || end)
                    {
                        _consumed = true;
                        tracker.Advance(buffer);

                        if (!stream.TryWriteData(buffer, end))
                        {
                            await stream.WriteDataAsync(buffer, end).ConfigureAwait(false);
                        }

                        call.OnRequestBytes(buffer.Length, tracker.Messages);
                    }
                }
                finally
                {
                    AdvanceClient(result, buffer.End, buffer.End);
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

    private void AdvanceClient(in ReadResult read, SequencePosition consumed, SequencePosition examined)
    {
        try
        {
            source.AdvanceBody(read, consumed, examined);
        }
        catch (Exception) when (!_stopped)
        {
            MarkClientGone();
            throw;
        }
    }
}
