using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Ferry.Grpc.Compression;
using Ferry.Grpc.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Ferry.Grpc.AspNetCore.Server;

/// <summary>
/// The server side of one call: request metadata and limits in, messages and the status out. All response writes
/// go through one lock so the deadline can end the call safely while a handler is still writing.
/// </summary>
internal sealed class HttpContextServerCallContext : ServerCallContext, IDisposable
{
    private readonly HttpContext _http;
    private readonly ServerCallSettings _settings;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly PooledBufferWriter _readScratch = new();
    private readonly PooledBufferWriter _writeScratch = new();
    private readonly CancellationTokenSource _callCts;
    private CancellationTokenRegistration _abortRegistration;
    private DeadlineTimer? _deadlineTimer;
    private Task? _deadlineTask;
    private Metadata? _requestHeaders;
    private ICompressionProvider? _requestEncoding;
    private ICompressionProvider? _responseEncoding;
    private bool _headersSent;
    private bool _completed;
    private volatile bool _disposed;
    private DateTime _deadline = DateTime.MaxValue;

    public HttpContextServerCallContext(HttpContext http, string method, ServerCallSettings settings, ILogger logger)
    {
        _http = http;
        _settings = settings;
        _logger = logger;
        Method = method;
        _callCts = new CancellationTokenSource();
        _abortRegistration = http.RequestAborted.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), _callCts);
        ResponseCompression = settings.Options.ResponseCompression;
    }

    public override string Method { get; }

    public override string Host => _http.Request.Host.Value ?? "";

    public override string Peer
    {
        get
        {
            var connection = _http.Connection;
            return connection.RemoteIpAddress switch
            {
                null => "unknown",
                { AddressFamily: AddressFamily.InterNetworkV6 } ip => $"ipv6:[{ip}]:{connection.RemotePort}",
                var ip => $"ipv4:{ip}:{connection.RemotePort}",
            };
        }
    }

    public override DateTime Deadline => _deadline;

    public override Metadata RequestHeaders => _requestHeaders ??= ReadRequestHeaders();

    public override CancellationToken CancellationToken => _callCts.Token;

    public override Metadata ResponseTrailers { get; } = new();

    public override Status Status { get; set; } = Status.DefaultSuccess;

    public override string? ResponseCompression { get; set; }

    public override X509Certificate2? ClientCertificate => _http.Connection.ClientCertificate;

    public override object? HostContext => _http;

    public override WriteOptions? WriteOptions { get; set; }

    public bool DeadlineReached { get; private set; }

    public bool ClientGone => _http.RequestAborted.IsCancellationRequested;

    /// <summary>
    /// Reads the call's gRPC request headers. Returns a status to refuse the call with, or null to go on.
    /// </summary>
    public Status? Initialize(TimeProvider time)
    {
        var headers = _http.Request.Headers;
        if (_settings.Options.RequireTeTrailers && !string.Equals(headers.TE, "trailers", StringComparison.OrdinalIgnoreCase))
        {
            return new Status(StatusCode.Internal, "Missing 'te: trailers' request header, which gRPC requires; an intermediary between client and server may have dropped it.");
        }

        var encoding = headers[GrpcProtocol.EncodingHeader];
        if (!StringValues.IsNullOrEmpty(encoding) && encoding != GrpcProtocol.IdentityEncoding)
        {
            if (!_settings.Compression.TryGet(encoding.ToString(), out var provider))
            {
                _http.Response.Headers[GrpcProtocol.AcceptEncodingHeader] = _settings.Compression.AcceptEncoding;
                return new Status(StatusCode.Unimplemented, $"Unsupported grpc-encoding value '{encoding}'. Supported encodings: {_settings.Compression.AcceptEncoding}");
            }

            _requestEncoding = provider;
        }

        var timeout = headers[GrpcProtocol.TimeoutHeader];
        if (!StringValues.IsNullOrEmpty(timeout))
        {
            if (!GrpcTimeout.TryParse(timeout.ToString(), out var span))
            {
                return new Status(StatusCode.Internal, $"Invalid grpc-timeout value '{timeout}': expected up to 8 digits and a unit (H, M, S, m, u, n).");
            }

            StartDeadline(time, span);
        }

        return null;
    }

    private void StartDeadline(TimeProvider time, TimeSpan timeout)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var maxTimeout = DateTime.MaxValue - now;
        var deadline = timeout >= maxTimeout ? DateTime.MaxValue : now + timeout;
        _deadline = deadline;
        _deadlineTimer = DeadlineTimer.Start(time, timeout, static state => ((HttpContextServerCallContext)state!).OnDeadline(), this);
    }

    private void OnDeadline()
    {
        // A timer's Dispose does not wait for a callback already under way: the call may be over by now.
        if (_disposed)
        {
            return;
        }

        DeadlineReached = true;
        GrpcServerLog.DeadlineExceeded(_logger, Method, Deadline);
        _callCts.Cancel();
        _deadlineTask = EndCallAsync(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"));
    }

    /// <summary>Whether the last request message read arrived compressed (the interop tests check this).</summary>
    public bool LastMessageCompressed { get; private set; }

    public async ValueTask<(bool HasMessage, T Message)> ReadMessageAsync<T>(Marshaller<T> marshaller, CancellationToken cancellationToken)
    {
        var (hasMessage, message, compressed) = await PipeMessageReader.ReadAsync(_http.Request.BodyReader, marshaller, _settings.Options.MaxReceiveMessageSize, _requestEncoding, _readScratch, cancellationToken).ConfigureAwait(false);
        if (hasMessage)
        {
            LastMessageCompressed = compressed;
        }

        return (hasMessage, message);
    }

    public override async Task WriteResponseHeadersAsync(Metadata responseHeaders)
    {
        ArgumentNullException.ThrowIfNull(responseHeaders);
        MetadataEncoding.ValidateForSend(responseHeaders);
        await _writeLock.WaitAsync(CancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfCompleted();
            if (_headersSent)
            {
                throw new InvalidOperationException("Response headers can only be sent once per call.");
            }

            GrpcResponse.AddMetadata(_http.Response.Headers, responseHeaders);
            PrepareResponseHeaders();
            await _http.Response.BodyWriter.FlushAsync(CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task WriteMessageAsync<T>(T message, Marshaller<T> marshaller, bool flush, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfCompleted();
            if (!_headersSent)
            {
                PrepareResponseHeaders();
            }

            var compression = WriteOptions?.NoCompress == true ? null : _responseEncoding;
            var writer = _http.Response.BodyWriter;
            MessageFraming.WriteMessage(writer, message, marshaller, compression, _settings.Options.MaxSendMessageSize, _writeScratch);
            if (flush)
            {
                var result = await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (result.IsCanceled || result.IsCompleted)
                {
                    throw new OperationCanceledException("The client is no longer reading the response.");
                }
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Sends the status once: trailers-only if nothing was sent yet, else trailers after the messages.
    /// </summary>
    public async Task EndCallAsync(Status status)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_completed || _disposed)
            {
                return;
            }

            _completed = true;
            if (status.StatusCode != StatusCode.OK)
            {
                GrpcServerLog.CallFailed(_logger, Method, status.StatusCode, status.Detail);
            }

            if (ClientGone)
            {
                return;
            }

            var response = _http.Response;
            if (!_headersSent)
            {
                await GrpcResponse.WriteTrailersOnlyAsync(response, status, ResponseTrailers).ConfigureAwait(false);
                return;
            }

            GrpcResponse.AppendTrailers(response, status, ResponseTrailers);
            await response.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away while the status was being written; there is nobody left to tell.
            GrpcServerLog.CallCancelled(_logger, Method);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Waits for a deadline-triggered end of call, so the response is never completed twice at once.</summary>
    public Task DeadlineCompletion => _deadlineTask ?? Task.CompletedTask;

    /// <remarks>
    /// The call's token source is not disposed: it has no timer or links to release, and a deadline callback that
    /// started before the timer was disposed may still cancel it (an exception there would end the process).
    /// </remarks>
    public void Dispose()
    {
        _disposed = true;
        _deadlineTimer?.Dispose();
        _abortRegistration.Dispose();
        _readScratch.Dispose();
        _writeScratch.Dispose();
    }

    private void PrepareResponseHeaders()
    {
        _headersSent = true;
        var response = _http.Response;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.AcceptEncodingHeader] = _settings.Compression.AcceptEncoding;
        if (ResponseCompression is { } name && name != GrpcProtocol.IdentityEncoding &&
            ClientAccepts(name) && _settings.Compression.TryGet(name, out var provider))
        {
            _responseEncoding = provider;
            response.Headers[GrpcProtocol.EncodingHeader] = provider.EncodingName;
        }
    }

    private bool ClientAccepts(string encoding)
    {
        foreach (var value in _http.Request.Headers[GrpcProtocol.AcceptEncodingHeader])
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries))
            {
                if (string.Equals(part, encoding, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw DeadlineReached
                ? new RpcException(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"))
                : new InvalidOperationException("Can't write to the response because the call is complete.");
        }
    }

    private Metadata ReadRequestHeaders()
    {
        var metadata = new Metadata();
        foreach (var (name, values) in _http.Request.Headers)
        {
            var key = name.ToLowerInvariant();
            if (MetadataEncoding.IsTransportHeader(key))
            {
                continue;
            }

            foreach (var value in values)
            {
                if (value is not null)
                {
                    MetadataEncoding.TryDecode(key, value, metadata);
                }
            }
        }

        return metadata;
    }
}
