using Ferry.Grpc.Compression;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Client;

/// <summary>
/// Writing the request body. A single request message is framed before the call starts (so a too-large message
/// fails without touching the network); a request stream hands each write to the HTTP/2 request body.
/// </summary>
internal sealed partial class GrpcCall<TRequest, TResponse> : IClientStreamWriter<TRequest>
{
    private readonly TaskCompletionSource<Stream> _requestStream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _requestDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PooledBufferWriter _writeBuffer = new();
    private readonly PooledBufferWriter _writeScratch = new();
    private readonly ICompressionProvider? _requestCompression;
    private int _writePending;
    private bool _writesCompleted;
    private int _stagedWriters;
    private bool _requestSettled;
    private bool _stagedReleased;

    public WriteOptions? WriteOptions { get; set; }

    private bool TryStageRequest(TRequest request)
    {
        try
        {
            MessageFraming.WriteMessage(_writeBuffer, request, _method.RequestMarshaller, _requestCompression, _channel.Options.MaxSendMessageSize, _writeScratch);
            return true;
        }
        catch (RpcException ex)
        {
            Finish(ex.Status, Metadata.Empty);
            return false;
        }
    }

    /// <summary>
    /// Called by the HTTP layer once the request headers are sent and the body may be written; again for each time it
    /// sends the request anew (SocketsHttpHandler does when a GOAWAY says the server never processed it).
    /// </summary>
    internal async Task WriteBodyAsync(Stream stream, bool singleMessage, CancellationToken cancellationToken)
    {
        if (singleMessage)
        {
            // The staged message stays until the HTTP layer is done with the request (see ReleaseStagedMessage).
            lock (_lock)
            {
                _stagedWriters++;
            }

            try
            {
                await stream.WriteAsync(_writeBuffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                lock (_lock)
                {
                    _stagedWriters--;
                }

                ReleaseStagedMessage();
            }

            return;
        }

        // SocketsHttpHandler holds the HEADERS frame until the body is first flushed: without this a server that
        // speaks first never hears of the call until the client writes.
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (!_requestStream.TrySetResult(stream))
        {
            // Writes went (or are going) to the stream of the attempt the server turned away: sending the request
            // again would lose them, so the call fails instead, as a call the server never took (UNAVAILABLE).
            throw new IOException("The server turned the call away unprocessed (GOAWAY or REFUSED_STREAM) after its request stream had been opened; a request stream cannot be sent again.");
        }

        await _requestDone.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Returns the staged single message's buffers to the pool once the HTTP layer has settled the request (it will not
    /// ask for the body again) and no write of it is under way.
    /// </summary>
    private void ReleaseStagedMessage()
    {
        lock (_lock)
        {
            if (!_requestSettled || _stagedWriters > 0 || _stagedReleased)
            {
                return;
            }

            _stagedReleased = true;
        }

        _writeBuffer.Dispose();
        _writeScratch.Dispose();
    }

    public async Task WriteAsync(TRequest message, CancellationToken cancellationToken = default)
    {
        if (_writesCompleted)
        {
            throw new InvalidOperationException("Can't write the message because the request stream is complete.");
        }

        if (Interlocked.Exchange(ref _writePending, 1) == 1)
        {
            throw new InvalidOperationException("Can't write the message because the previous write is in progress.");
        }

        try
        {
            ThrowIfFinished();
            var stream = await _requestStream.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            _writeBuffer.Reset();
            try
            {
                var compression = WriteOptions?.NoCompress == true ? null : _requestCompression;
                MessageFraming.WriteMessage(_writeBuffer, message, _method.RequestMarshaller, compression, _channel.Options.MaxSendMessageSize, _writeScratch);
            }
            catch (RpcException ex)
            {
                FailLocally(ex.Status);
                throw StatusException();
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token);
            await stream.WriteAsync(_writeBuffer.WrittenMemory, linked.Token).ConfigureAwait(false);
            await stream.FlushAsync(linked.Token).ConfigureAwait(false);
        }
        // ObjectDisposedException is an InvalidOperationException, but here it means the HTTP/2 stream was torn down
        // under the write (e.g. the deadline fired): a call failure, reported as the call's status.
        catch (Exception ex) when (ex is not RpcException && (ex is not InvalidOperationException || ex is ObjectDisposedException))
        {
            if (cancellationToken.IsCancellationRequested && !IsFinished)
            {
                Abort(CancelledByUser);
            }
            else if (!IsFinished && await _responseTask.ConfigureAwait(false) is not null && !IsFinished)
            {
                // The server ended the call while the client was still streaming (HttpClient then stops the request
                // body, and the server resets it with NO_ERROR), or the connection failed. Either way the response
                // decides the call's status, with the messages before it: so this write reports only that the request
                // stream is closed, as grpc-go's SendMsg returns io.EOF, and the status is left to the reader.
                throw new RpcException(
                    new Status(StatusCode.Unavailable, "The request stream is closed: the server ended the call or the stream was reset. Read the response stream for the call's status."),
                    Metadata.Empty,
                    ex);
            }

            // Awaited above: a server that ended the call before responding (trailers-only) has set the status by now,
            // and it, not the failed write, is the call's outcome.
            Finish(StatusFromException(ex), Metadata.Empty);
            throw StatusException();
        }
        finally
        {
            Volatile.Write(ref _writePending, 0);
        }
    }

    public Task CompleteAsync()
    {
        if (Volatile.Read(ref _writePending) == 1)
        {
            throw new InvalidOperationException("Can't complete the request stream while a write is in progress.");
        }

        _writesCompleted = true;
        _requestDone.TrySetResult();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Writes after the call ended fail with the call's status (or, after an OK status, as an invalid operation).
    /// </summary>
    private void ThrowIfFinished()
    {
        if (_status is { } status)
        {
            if (status.StatusCode == StatusCode.OK)
            {
                throw new InvalidOperationException("Can't write the message because the call is complete.");
            }

            throw StatusException();
        }
    }

    /// <summary>
    /// When the call ends the request body ends too: cleanly after an OK status, as a reset otherwise.
    /// </summary>
    private void CompleteRequestOnFinish(Status status)
    {
        if (status.StatusCode == StatusCode.OK)
        {
            _requestDone.TrySetResult();
        }
        else
        {
            _requestDone.TrySetException(new RpcException(status));
        }

        _requestStream.TrySetException(new RpcException(status));
    }
}
