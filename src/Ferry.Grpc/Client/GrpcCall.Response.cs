using System.Globalization;
using System.Net.Http.Headers;
using Ferry.Grpc.Compression;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Client;

/// <summary>Reading response messages and the trailers that end them.</summary>
internal sealed partial class GrpcCall<TRequest, TResponse> : IAsyncStreamReader<TResponse>
{
    private readonly PooledBufferWriter _readScratch = new();
    private ICompressionProvider? _responseEncoding;
    private TResponse? _current;
    private int _readPending;

    public TResponse Current => _current ?? throw new InvalidOperationException("No current message: call MoveNext first.");

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        using var registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state => ((GrpcCall<TRequest, TResponse>)state!).Abort(CancelledByUser), this)
            : default;
        var (hasMessage, message) = await ReadNextAsync().ConfigureAwait(false);
        _current = hasMessage ? message : null;
        return hasMessage;
    }

    /// <summary>For unary and client-streaming calls: exactly one message, then an OK status.</summary>
    public async Task<TResponse> ReadSingleResponseAsync()
    {
        var (hasMessage, message) = await ReadNextAsync().ConfigureAwait(false);
        if (!hasMessage)
        {
            FailLocally(new Status(StatusCode.Internal, "Failed to deserialize response message: the server returned OK without a response message."));
            throw StatusException();
        }

        var (extra, _) = await ReadNextAsync().ConfigureAwait(false);
        if (extra)
        {
            FailLocally(new Status(StatusCode.Internal, "The server sent more than one response message for a call that takes one."));
            throw StatusException();
        }

        return message;
    }

    /// <summary>
    /// Returns the next message, false once the call ended with OK, or throws the call's error status.
    /// </summary>
    private async Task<(bool HasMessage, TResponse Message)> ReadNextAsync()
    {
        if (Interlocked.Exchange(ref _readPending, 1) == 1)
        {
            throw new InvalidOperationException("Can't read the next message because the previous read is still in progress.");
        }

        try
        {
            var reader = await _responseTask.ConfigureAwait(false);
            if (reader is null || IsFinished)
            {
                return EndOfCall();
            }

            try
            {
                var (hasMessage, message, _) = await PipeMessageReader.ReadAsync(reader, _method.ResponseMarshaller, _channel.Options.MaxReceiveMessageSize, _responseEncoding, _readScratch, _cts.Token).ConfigureAwait(false);
                if (hasMessage)
                {
                    return (true, message);
                }

                Finish(ReadTrailers(out var trailers), trailers);
            }
            catch (RpcException ex) when (!IsFinished)
            {
                if (TryReadErrorTrailers(out var serverStatus, out var trailers))
                {
                    // The response ended, cut short inside a message, with the server's error status (a proxy whose
                    // backend failed mid-message says so this way): that status, as grpc-js and grpcio report it.
                    Finish(serverStatus, trailers);
                }
                else
                {
                    // A framing or size error found by this client: reset the stream so the server stops sending.
                    FailLocally(ex.Status);
                }
            }
            catch (Exception ex)
            {
                Finish(StatusFromException(ex), Metadata.Empty);
            }

            await reader.CompleteAsync().ConfigureAwait(false);
            _readScratch.Dispose();
            return EndOfCall();
        }
        finally
        {
            Volatile.Write(ref _readPending, 0);
        }
    }

    private (bool, TResponse) EndOfCall() =>
        _status!.Value.StatusCode == StatusCode.OK ? (false, default!) : throw StatusException();

    private Status ReadTrailers(out Metadata trailers)
    {
        var response = _response!;
        var headers = response.TrailingHeaders.NonValidated;
        trailers = ReadMetadata(headers);
        var status = GetHeader(headers, GrpcProtocol.StatusHeader);
        return status is null
            ? new Status(StatusCode.Internal, "The response ended without a grpc-status trailer (was it cut short by a proxy?).")
            : ParseStatus(status, GetHeader(headers, GrpcProtocol.MessageHeader));
    }

    /// <summary>True when the response has ended with trailers that carry an error status.</summary>
    private bool TryReadErrorTrailers(out Status status, out Metadata trailers)
    {
        if (GetHeader(_response!.TrailingHeaders.NonValidated, GrpcProtocol.StatusHeader) is null)
        {
            status = default;
            trailers = Metadata.Empty;
            return false;
        }

        status = ReadTrailers(out trailers);
        return status.StatusCode != StatusCode.OK;
    }

    private static Status ParseStatus(string status, string? message)
    {
        var detail = message is null ? "" : PercentEncoding.Decode(message);
        return int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out var code)
            ? new Status((StatusCode)code, detail)
            : new Status(StatusCode.Unknown, $"Invalid grpc-status '{status}' in response. {detail}".TrimEnd());
    }

    private static string? GetHeader(HttpHeadersNonValidated headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.ToString() : null;

    private static Metadata ReadMetadata(HttpHeadersNonValidated headers)
    {
        var metadata = new Metadata();
        foreach (var (name, values) in headers)
        {
            var key = name.ToLowerInvariant();
            if (MetadataEncoding.IsTransportHeader(key))
            {
                continue;
            }

            foreach (var value in values)
            {
                MetadataEncoding.TryDecode(key, value, metadata);
            }
        }

        return metadata;
    }
}
