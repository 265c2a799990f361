using System.IO.Pipelines;
using System.Net;
using Ferry.Grpc.Compression;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Client;

/// <summary>
/// One client call over HTTP/2. The engine of the client, split by concern:
/// <code>
///   Start ──► SendAsync (GrpcCall.cs) ──► response headers validated ──► messages read (GrpcCall.Response.cs)
///     │                                                                     │
///     └──► request body: one message, or a stream of writes (GrpcCall.Request.cs)
///   any failure ──► status from the exception (GrpcCall.Errors.cs) ──► Finish (first status wins)
/// </code>
/// Cancellation, the deadline and Dispose all end in <see cref="Abort"/>, which resets the HTTP/2 stream.
/// </summary>
internal sealed partial class GrpcCall<TRequest, TResponse> : ICallState
    where TRequest : class
    where TResponse : class
{
    private const int NotCancelled = 0;
    private const int CancelledByUser = 1;
    private const int CancelledByDeadline = 2;

    // A stop for a server that refuses every stream; SocketsHttpHandler's own retries come on top.
    private const int MaxRefusedSends = 3;

    private readonly GrpcChannel _channel;
    private readonly Method<TRequest, TResponse> _method;
    private readonly CallOptions _options;

    // Never disposed on purpose: it has no timer or links to release, and the deadline timer or a user token may
    // still be racing to cancel it when the call is disposed.
    private readonly CancellationTokenSource _cts = new();
    private readonly TaskCompletionSource<Metadata> _headers = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();

    private Task<PipeReader?> _responseTask = null!;
    private HttpResponseMessage? _response;
    private CancellationTokenRegistration _userCancellation;
    private DeadlineTimer? _deadlineTimer;
    private int _cancelReason;
    private Status? _status;
    private volatile bool _finished;
    private Metadata _trailers = Metadata.Empty;

    public GrpcCall(GrpcChannel channel, Method<TRequest, TResponse> method, CallOptions options)
    {
        _channel = channel;
        _method = method;
        _options = options;
        if (options.Headers is { } headers)
        {
            MetadataEncoding.ValidateForSend(headers);
        }

        if (options.Compression is { } encoding && !channel.Compression.TryGet(encoding, out _requestCompression!))
        {
            throw new ArgumentException($"Compression '{encoding}' is not among the channel's providers ({channel.Compression.AcceptEncoding}).", nameof(options));
        }
    }

    public Task<Metadata> ResponseHeadersAsync => _headers.Task;

    private bool IsFinished => _finished;

    public void Start(TRequest? request)
    {
        if (request is not null && !TryStageRequest(request))
        {
            _responseTask = Task.FromResult<PipeReader?>(null);
            return;
        }

        var timeout = RemainingTime();
        if (timeout is { } remaining)
        {
            if (remaining <= TimeSpan.Zero)
            {
                Finish(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), Metadata.Empty);
                _responseTask = Task.FromResult<PipeReader?>(null);
                return;
            }

            _deadlineTimer = DeadlineTimer.Start(_channel.Options.TimeProvider, remaining, static state => ((GrpcCall<TRequest, TResponse>)state!).Abort(CancelledByDeadline), this);
        }

        if (_options.CancellationToken.CanBeCanceled)
        {
            _userCancellation = _options.CancellationToken.UnsafeRegister(static state => ((GrpcCall<TRequest, TResponse>)state!).Abort(CancelledByUser), this);
        }

        _responseTask = SendAsync(request is not null, timeout);
    }

    /// <summary>Time left until the call's deadline (zero or less once it passed); null without a deadline.</summary>
    private TimeSpan? RemainingTime() =>
        _options.Deadline is { } deadline && deadline != DateTime.MaxValue
            ? deadline.ToUniversalTime() - _channel.Options.TimeProvider.GetUtcNow().UtcDateTime
            : null;

    private HttpRequestMessage CreateRequest(bool singleMessage, TimeSpan? timeout)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _channel.GetMethodUri(_method.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new GrpcRequestContent(WriteBodyAsync, singleMessage),
        };
        var headers = request.Headers;
        headers.TryAddWithoutValidation("te", "trailers");
        if (_channel.CertificateValidator is not null && _channel.Options.Tls?.ServerNameOverride is { } serverName)
        {
            // As gRPC's ssl_target_name_override does: the name becomes the SNI and the :authority as well, so a
            // server that picks its certificate by name serves the one that will be checked.
            headers.Host = serverName;
        }

        headers.TryAddWithoutValidation("user-agent", GrpcChannel.UserAgent);
        headers.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, _channel.Compression.AcceptEncoding);
        if (_requestCompression is not null)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.EncodingHeader, _requestCompression.EncodingName);
        }

        if (timeout is { } t)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(t));
        }

        if (_options.Headers is { } metadata)
        {
            foreach (var entry in metadata)
            {
                headers.TryAddWithoutValidation(entry.Key, MetadataEncoding.EncodeValue(entry));
            }
        }

        return request;
    }

    private async Task<PipeReader?> SendAsync(bool singleMessage, TimeSpan? timeout)
    {
        try
        {
            HttpResponseMessage response;
            try
            {
                response = await SendRequestAsync(singleMessage, timeout).ConfigureAwait(false);
            }
            finally
            {
                if (singleMessage)
                {
                    lock (_lock)
                    {
                        _requestSettled = true;
                    }

                    ReleaseStagedMessage();
                }
            }

            lock (_lock)
            {
                _response = response;
            }

            if (IsFinished)
            {
                response.Dispose();
                _headers.TrySetException(new RpcException(_status!.Value));
                return null;
            }

            var headers = ReadMetadata(response.Headers.NonValidated);
            if (ValidateResponseHeaders(response) is { } terminal)
            {
                Finish(terminal, headers);
                _headers.TrySetResult(headers);
                return null;
            }

            _headers.TrySetResult(headers);
            var stream = await response.Content.ReadAsStreamAsync(_cts.Token).ConfigureAwait(false);
            return PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));
        }
        catch (Exception ex)
        {
            var status = StatusFromException(ex);
            Finish(status, Metadata.Empty);
            _headers.TrySetException(new RpcException(status));
            return null;
        }
    }

    /// <summary>
    /// Sends the request; a single message again when the server refused its stream unprocessed (REFUSED_STREAM,
    /// RFC 9113 section 8.7). SocketsHttpHandler sends such requests again itself, except on a connection the request
    /// opened (dotnet/runtime#44669): a call that opened a connection to a server with a low stream limit, or to nginx
    /// as it closes connections, would fail although the server never saw it. A request stream cannot go again.
    /// </summary>
    private async Task<HttpResponseMessage> SendRequestAsync(bool singleMessage, TimeSpan? timeout)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await _channel.HttpInvoker.SendAsync(CreateRequest(singleMessage, timeout), _cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (singleMessage && attempt < MaxRefusedSends && !_cts.IsCancellationRequested &&
                Find<HttpProtocolException>(ex)?.ErrorCode == (long)Http2ErrorCode.RefusedStream)
            {
                if (timeout is not null)
                {
                    timeout = RemainingTime();
                    if (timeout <= TimeSpan.Zero)
                    {
                        throw;
                    }
                }
            }
        }
    }

    /// <summary>
    /// A non-200 response, a trailers-only response or a response that is not gRPC ends the call at its headers.
    /// </summary>
    private Status? ValidateResponseHeaders(HttpResponseMessage response)
    {
        var statusValue = GetHeader(response.Headers.NonValidated, GrpcProtocol.StatusHeader);
        if ((int)response.StatusCode != 200)
        {
            var code = StatusMapping.FromHttpStatus((int)response.StatusCode);
            return new Status(code, $"Bad gRPC response. HTTP status code: {(int)response.StatusCode}");
        }

        if (statusValue is not null)
        {
            return ParseStatus(statusValue, GetHeader(response.Headers.NonValidated, GrpcProtocol.MessageHeader));
        }

        var contentType = response.Content.Headers.NonValidated.TryGetValues("content-type", out var values) ? values.ToString() : null;
        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            return new Status(StatusCode.Unknown, $"Bad gRPC response. Response content type '{contentType}' is not application/grpc.");
        }

        var encoding = GetHeader(response.Headers.NonValidated, GrpcProtocol.EncodingHeader);
        if (encoding is not null && encoding != GrpcProtocol.IdentityEncoding)
        {
            if (!_channel.Compression.TryGet(encoding, out var provider))
            {
                return new Status(StatusCode.Internal, $"The server compresses responses with '{encoding}', which this client does not support ({_channel.Compression.AcceptEncoding}).");
            }

            _responseEncoding = provider;
        }

        return null;
    }

    /// <summary>Records the final status; the first one wins, later ones (e.g. from a racing read) are ignored.</summary>
    private void Finish(Status status, Metadata trailers)
    {
        lock (_lock)
        {
            if (_status is not null)
            {
                return;
            }

            _trailers = trailers;
            _status = status;
            _finished = true;
        }

        _deadlineTimer?.Dispose();
        _userCancellation.Dispose();
        CompleteRequestOnFinish(status);
    }

    /// <summary>Ends the call from the client side: resets the HTTP/2 stream so the server stops working on it.</summary>
    private void Abort(int reason)
    {
        if (Interlocked.CompareExchange(ref _cancelReason, reason, NotCancelled) != NotCancelled)
        {
            return;
        }

        Finish(reason == CancelledByDeadline ? new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded") : new Status(StatusCode.Cancelled, "Call canceled by the client."), Metadata.Empty);
        _cts.Cancel();
        HttpResponseMessage? response;
        lock (_lock)
        {
            response = _response;
        }

        response?.Dispose();
    }

    /// <summary>Fails the call for a local reason (e.g. a message over the send limit) and resets the stream.</summary>
    private void FailLocally(Status status)
    {
        Finish(status, Metadata.Empty);
        Abort(CancelledByUser);
    }

    public Status GetStatus() =>
        _status ?? throw new InvalidOperationException("Unable to get the status because the call is not complete.");

    public Metadata GetTrailers() =>
        _status is null ? throw new InvalidOperationException("Unable to get the trailers because the call is not complete.") : _trailers;

    /// <summary>Cancels the call if it is still running.</summary>
    public void Dispose()
    {
        if (!IsFinished)
        {
            Abort(CancelledByUser);
        }

        lock (_lock)
        {
            _response?.Dispose();
        }
    }

    private RpcException StatusException() => new(_status!.Value, _trailers);
}
