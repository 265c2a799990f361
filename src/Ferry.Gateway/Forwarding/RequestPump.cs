using System.IO.Pipelines;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;

namespace Ferry.Gateway.Forwarding;

/// <summary>
/// Copies the client's request body to the backend stream as it arrives, never parsed or buffered beyond one read.
/// Waiting on the client applies backpressure to it; waiting for the backend's flow-control window stops reading
/// from the client. A unary request that is already here leaves with its HEADERS in one write.
/// </summary>
internal sealed class RequestPump(PipeReader source, Http2ClientStream stream, ForwardingCall call)
{
    private volatile bool _stopped;
    private volatile bool _started;

    /// <summary>Whether any of the body was taken from the client; before that, the call may be retried elsewhere.</summary>
    public bool Started => _started;

    /// <summary>Stops the copy (the response is over): a pending read of the client returns at once.</summary>
    public void Stop()
    {
        _stopped = true;
        try
        {
            source.CancelPendingRead();
        }
        catch (IOException)
        {
            // Kestrel's request pipe throws here once the client reset the stream; no read is left to wake then.
        }
    }

    /// <summary>The call was cancelled: reset the backend stream and stop.</summary>
    public void Abort()
    {
        stream.Reset(Http2ErrorCode.Cancel);
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
                    result = await ReadClientAsync().ConfigureAwait(false);
                }

                if (_stopped)
                {
                    source.AdvanceTo(result.Buffer.Start);
                    return;
                }

                var buffer = result.Buffer;
                var end = result.IsCompleted;
                try
                {
                    if (!buffer.IsEmpty || end)
                    {
                        _started = true;
                        foreach (var segment in buffer)
                        {
                            tracker.Advance(segment.Span);
                        }

                        if (!stream.TryWriteData(buffer, end))
                        {
                            await stream.WriteDataAsync(buffer, end).ConfigureAwait(false);
                        }

                        call.OnRequestBytes(buffer.Length, tracker.Messages);
                    }
                }
                finally
                {
                    AdvanceClient(buffer.End);
                }

                if (end)
                {
                    return;
                }
            }
        }
        catch (Exception) when (_stopped || call.Token.IsCancellationRequested || stream.IsClosed)
        {
            // The call is ending anyway; whoever ended it reports why.
        }
        catch (Exception)
        {
            // The backend stream failed under the copy; the response side sees the same failure and reports it.
            stream.Reset(Http2ErrorCode.Cancel);
        }
    }

    // The client's request pipe fails only when the client went away (its connection faulted, it reset the stream,
    // it broke the protocol). Kestrel signals RequestAborted for that later, from the thread pool, so the call is
    // marked here, before the failure reaches the forwarder: otherwise a client dropping a connection with calls in
    // flight would count as backend failures and could eject a healthy backend.
    private bool TryReadClient(out ReadResult result)
    {
        try
        {
            return source.TryRead(out result);
        }
        catch (Exception) when (!_stopped)
        {
            call.Cancel(CancelReason.ClientGone);
            throw;
        }
    }

    private async ValueTask<ReadResult> ReadClientAsync()
    {
        try
        {
            return await source.ReadAsync().ConfigureAwait(false);
        }
        catch (Exception) when (!_stopped)
        {
            call.Cancel(CancelReason.ClientGone);
            throw;
        }
    }

    private void AdvanceClient(SequencePosition consumed)
    {
        try
        {
            source.AdvanceTo(consumed);
        }
        catch (Exception) when (!_stopped)
        {
            call.Cancel(CancelReason.ClientGone);
            throw;
        }
    }
}
