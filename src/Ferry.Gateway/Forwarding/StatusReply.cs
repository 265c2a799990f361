using System.Globalization;
using Ferry.Grpc;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;

namespace Ferry.Gateway.Forwarding;

/// <summary>A status the gateway itself gives a client: trailers-only before anything was sent, trailers after messages.</summary>
internal static class StatusReply
{
    /// <summary>
    /// Ends a call that sent nothing yet with one HEADERS frame carrying the status, which every client and proxy
    /// reads, rather than an empty body followed by trailers.
    /// </summary>
    public static void WriteTrailersOnly(Http2ServerStream stream, Status status)
    {
        stream.WriteHeaders(200, status, static (headers, status) =>
        {
            headers.Add("content-type", GrpcProtocol.ContentType);
            AddStatus(headers, status);
        }, endStream: true);
        stream.Flush();
    }

    /// <summary>Ends a response whose headers (and maybe messages) went out with the status in trailers.</summary>
    public static void WriteTrailers(Http2ServerStream stream, Status status)
    {
        stream.WriteTrailers(status, AddStatus);
        stream.Flush();
    }

    private static void AddStatus(Http2HeaderWriter headers, Status status)
    {
        headers.Add(GrpcProtocol.StatusHeader, ((int)status.StatusCode).ToString(CultureInfo.InvariantCulture));
        if (status.Detail.Length > 0)
        {
            headers.Add(GrpcProtocol.MessageHeader, PercentEncoding.Encode(status.Detail));
        }
    }
}
