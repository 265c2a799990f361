namespace Ferry.Grpc.Protocol;

/// <summary>Names and sizes fixed by the gRPC over HTTP/2 specification.</summary>
internal static class GrpcProtocol
{
    public const string ContentType = "application/grpc";
    public const string StatusHeader = "grpc-status";
    public const string MessageHeader = "grpc-message";
    public const string TimeoutHeader = "grpc-timeout";
    public const string EncodingHeader = "grpc-encoding";
    public const string AcceptEncodingHeader = "grpc-accept-encoding";
    public const string StatusDetailsHeader = "grpc-status-details-bin";
    public const string IdentityEncoding = "identity";

    /// <summary>One flag byte and a four-byte big-endian length precede every message.</summary>
    public const int MessagePrefixSize = 5;

    public const int DefaultMaxReceiveMessageSize = 4 * 1024 * 1024;

    /// <summary>
    /// True for <c>application/grpc</c> and its <c>+proto</c>/<c>+json</c>/<c>;params</c> forms, not for gRPC-Web.
    /// </summary>
    public static bool IsGrpcContentType(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith(ContentType, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (contentType.Length == ContentType.Length)
        {
            return true;
        }

        var next = contentType[ContentType.Length];
        return next is '+' or ';';
    }

    /// <summary>
    /// Header names a caller may not set as metadata: HTTP/2 pseudo-headers, connection-level headers and the
    /// <c>grpc-</c> names the transport writes itself.
    /// </summary>
    public static bool IsReservedHeader(string key) =>
        key.StartsWith(':') ||
        (key.StartsWith("grpc-", StringComparison.Ordinal) && key != StatusDetailsHeader) ||
        key is "content-type" or "te" or "host" or "connection" or "transfer-encoding" or "upgrade" or "keep-alive"
            or "proxy-connection" or "content-length";
}
