using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>
/// A stream ended abnormally: reset by the peer, refused, cut off by GOAWAY or by the connection failing.
/// <see cref="RequestNotProcessed"/> says the server never acted on it (RFC 9113 section 8.7), so it may be retried.
/// </summary>
internal sealed class Http2StreamException(Http2ErrorCode errorCode, bool requestNotProcessed, string message, Exception? inner = null)
    : IOException(message, inner)
{
    public Http2ErrorCode ErrorCode { get; } = errorCode;

    public bool RequestNotProcessed { get; } = requestNotProcessed;

    /// <summary>True when the peer reset the stream itself, as opposed to the connection failing.</summary>
    public bool ResetByPeer { get; init; }

    /// <summary>
    /// True when the server left the stream unprocessed because it was closing the connection (GOAWAY): the ordinary
    /// end of a connection (a request limit, an idle timeout, a graceful restart), saying nothing against the request
    /// or the server's load, unlike a REFUSED_STREAM.
    /// </summary>
    public bool ConnectionClosing { get; init; }
}
