using System.Net.Sockets;
using System.Security.Authentication;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Client;

/// <summary>Turning transport failures into gRPC statuses, by exception type and cancellation state only.</summary>
internal sealed partial class GrpcCall<TRequest, TResponse>
{
    private Status StatusFromException(Exception exception)
    {
        if (_status is { } finished)
        {
            return finished;
        }

        switch (Volatile.Read(ref _cancelReason))
        {
            case CancelledByDeadline:
                return new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
            case CancelledByUser:
                return new Status(StatusCode.Cancelled, "Call canceled by the client.");
        }

        if (exception is RpcException rpc)
        {
            return rpc.Status;
        }

        if (Find<HttpProtocolException>(exception) is { } protocol)
        {
            var code = (Http2ErrorCode)protocol.ErrorCode;
            return new Status(StatusMapping.FromHttp2Error(code), $"The server reset the stream (HTTP/2 error {code}).");
        }

        if (Find<AuthenticationException>(exception) is not null ||
            exception is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError })
        {
            return new Status(StatusCode.Unavailable, DescribeTlsFailure());
        }

        if (Find<SocketException>(exception) is { } socket)
        {
            return new Status(StatusCode.Unavailable, $"Failed to connect to {_channel.Address.Authority}: {socket.SocketErrorCode} ({socket.Message}).");
        }

        return exception switch
        {
            HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => new Status(StatusCode.Unavailable, $"Failed to connect to {_channel.Address.Authority}: {exception.Message}"),
            HttpRequestException { HttpRequestError: HttpRequestError.VersionNegotiationError } => new Status(StatusCode.Unavailable, $"{_channel.Address.Authority} does not speak HTTP/2 (for TLS the server must offer ALPN 'h2'; for http:// it must accept h2c prior knowledge)."),
            HttpRequestException or IOException => new Status(StatusCode.Unavailable, $"The connection to {_channel.Address.Authority} failed: {exception.Message}"),
            OperationCanceledException => new Status(StatusCode.Cancelled, "Call canceled."),
            _ => new Status(StatusCode.Internal, $"Unexpected error in the client: {exception.GetType().Name}: {exception.Message}"),
        };
    }

    /// <summary>
    /// The handshake exception only says that it failed; our own validator, or what this client offered, says why.
    /// </summary>
    private string DescribeTlsFailure()
    {
        var prefix = $"TLS handshake with {_channel.Address.Authority} failed: ";
        if (_channel.CertificateValidator?.LastFailure is { } reason)
        {
            return prefix + reason + ".";
        }

        return _channel.Options.Tls?.ClientCertificate is { } certificate
            ? prefix + $"the server refused the connection after the client presented its certificate ({certificate.Subject}, issued by {certificate.Issuer}); the server probably does not trust that issuer, or the certificate has expired or lacks the clientAuth usage."
            : prefix + "the server refused the connection; if it requires mutual TLS, give a client certificate and key (ClientTlsOptions.ClientCertificate, --client_cert/--client_key).";
    }

    private static T? Find<T>(Exception exception)
        where T : Exception
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            if (current is T match)
            {
                return match;
            }
        }

        return null;
    }
}
