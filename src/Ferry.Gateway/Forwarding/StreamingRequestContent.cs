using System.IO.Pipelines;
using System.Net;

namespace Ferry.Gateway.Forwarding;

/// <summary>
/// The upstream request body: bytes copied from the client's request pipe as they arrive, never parsed or
/// buffered beyond one read. Waiting on the client applies backpressure to it; waiting on the backend (a full
/// HTTP/2 window) stops reading from the client.
/// </summary>
internal sealed class StreamingRequestContent : HttpContent
{
    private static readonly System.Net.Http.Headers.MediaTypeHeaderValue DefaultContentType = new("application/grpc");

    private readonly PipeReader _source;
    private readonly ForwardingCall _call;
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private const int NotStarted = 0;
    private const int Running = 1;
    private const int Closed = 2;
    private int _state;

    public StreamingRequestContent(PipeReader source, ForwardingCall call, string? contentType)
    {
        _source = source;
        _call = call;
        if (contentType is null)
        {
            Headers.ContentType = DefaultContentType;
        }
        else
        {
            Headers.TryAddWithoutValidation("content-type", contentType);
        }
    }

    /// <summary>Whether any of the body was taken from the client; before that, the call may be retried elsewhere.</summary>
    public bool Started => Volatile.Read(ref _state) != NotStarted;

    /// <summary>
    /// Stops the copy and waits until it has stopped. The forwarder calls this before the call ends, because the
    /// client's request pipe belongs to a pooled stream that must not be read once the request is over; a copy
    /// that had not started yet never will.
    /// </summary>
    public Task CloseAsync(ForwardingCall call)
    {
        if (Interlocked.CompareExchange(ref _state, Closed, NotStarted) == NotStarted)
        {
            return Task.CompletedTask;
        }

        call.Complete();
        return _completed.Task;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, Running, NotStarted) != NotStarted)
        {
            throw new OperationCanceledException("The forwarded call already ended.");
        }

        try
        {
            await CopyAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _completed.TrySetResult();
        }
    }

    private async Task CopyAsync(Stream stream, CancellationToken cancellationToken)
    {
        var tracker = default(GrpcFrameTracker);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _call.Token);
        var token = linked.Token;
        while (true)
        {
            if (!TryReadFromClient(out var result, token))
            {
                // Nothing buffered: push what was written so far before waiting on the client.
                await stream.FlushAsync(token).ConfigureAwait(false);
                try
                {
                    result = await _source.ReadAsync(token).ConfigureAwait(false);
                }
                catch (Exception) when (!token.IsCancellationRequested)
                {
                    _call.Cancel(CancelReason.ClientGone);
                    throw;
                }
            }

            var buffer = result.Buffer;
            try
            {
                foreach (var segment in buffer)
                {
                    tracker.Advance(segment.Span);
                    await stream.WriteAsync(segment, token).ConfigureAwait(false);
                }

                _call.OnRequestBytes(buffer.Length, tracker.Messages);
            }
            finally
            {
                AdvanceClient(buffer.End, token);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                // No flush here: the handler ends the stream with an END_STREAM frame that it flushes itself. An
                // explicit flush would flush the whole upstream connection once more for every call (queued as a
                // write of its own), splitting writes that calls sharing the connection would otherwise share.
                break;
            }
        }
    }

    // The client's request pipe fails without our token being cancelled only when the client went away (its
    // connection faulted, it reset the stream, it broke the protocol). Kestrel signals RequestAborted for that later,
    // from the thread pool, so the call is marked here, before the failure reaches the forwarder: otherwise a client
    // dropping a connection with calls in flight would count as backend failures and could eject a healthy backend.
    private bool TryReadFromClient(out ReadResult result, CancellationToken token)
    {
        try
        {
            return _source.TryRead(out result);
        }
        catch (Exception) when (!token.IsCancellationRequested)
        {
            _call.Cancel(CancelReason.ClientGone);
            throw;
        }
    }

    private void AdvanceClient(SequencePosition consumed, CancellationToken token)
    {
        try
        {
            _source.AdvanceTo(consumed);
        }
        catch (Exception) when (!token.IsCancellationRequested)
        {
            _call.Cancel(CancelReason.ClientGone);
            throw;
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
