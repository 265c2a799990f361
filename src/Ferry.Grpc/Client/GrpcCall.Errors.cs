using System.Net.Sockets;
using System.Security.Authentication;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Client;

/// <summary>Turning transport failures into gRPC statuses, by exception type and cancellation state only.</summary>
internal sealed partial class GrpcCall<TRequest, TResponse>
{
    // Accepted server certificates are numbered; one numbered after this means a TLS connection made for this call.
    private readonly long _handshakeSequenceAtStart = Security.ServerCertificateValidator.Now;

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

        if (IsClosedRightAfterTlsHandshake(exception))
        {
            return new Status(StatusCode.Unavailable, DescribeClosedAfterTlsHandshake());
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
            ? prefix + $"the server refused the connection after the client presented its certificate. {DescribeRefusedCertificate(certificate)}"
            : prefix + "the server refused the connection; if it requires mutual TLS, give a client certificate and key (ClientTlsOptions.ClientCertificate, --client_cert/--client_key).";
    }

    /// <summary>
    /// With TLS 1.3 the server checks the client certificate only after the client has finished its side of the
    /// handshake (and .NET servers do so with any version), so a refused or missing client certificate shows up as
    /// a connection set up for this call, with the server's certificate accepted, then closed before any HTTP/2
    /// response — without the server's reason.
    /// </summary>
    private bool IsClosedRightAfterTlsHandshake(Exception exception) =>
        _channel.CertificateValidator is { } validator &&
        validator.LastAccepted > _handshakeSequenceAtStart &&
        Volatile.Read(ref _response) is null &&
        exception is HttpRequestException
        {
            HttpRequestError: not (HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or
                HttpRequestError.ProxyTunnelError or HttpRequestError.VersionNegotiationError or
                HttpRequestError.SecureConnectionError),
        };

    private string DescribeClosedAfterTlsHandshake()
    {
        var prefix = $"TLS handshake with {_channel.Address.Authority} failed: the server closed the connection as soon as this client had finished its side of the handshake, before any HTTP/2 response, ";
        return _channel.Options.Tls?.ClientCertificate is { } certificate
            ? prefix + $"which is how a server refuses a client certificate it does not accept. {DescribeRefusedCertificate(certificate)}"
            : prefix + "which is how a server that requires mutual TLS refuses a client without a certificate. Give a client certificate and key (ClientTlsOptions.ClientCertificate, --client_cert/--client_key) issued by a CA the server trusts.";
    }

    private static string DescribeRefusedCertificate(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
        $"This client presented {certificate.Subject}, issued by {certificate.Issuer}, valid {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u}: " +
        "the server probably does not trust that issuer (add the issuing CA to the server's client CAs, --client_ca, or use a certificate from a CA it trusts), or the certificate has expired or lacks the clientAuth usage.";

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
