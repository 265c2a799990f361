using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>A connection error (RFC 9113 section 5.4.1): the peer broke the protocol; the connection ends with GOAWAY.</summary>
internal sealed class Http2ConnectionException(Http2ErrorCode errorCode, string message) : Exception(message)
{
    public Http2ErrorCode ErrorCode { get; } = errorCode;
}
