using Ferry.Grpc.Protocol;
using Microsoft.AspNetCore.Http;

namespace Ferry.Grpc.AspNetCore.Server;

/// <summary>Writing the status: trailers-only before the response has started, trailing HEADERS after.</summary>
internal static class GrpcResponse
{
    /// <summary>
    /// Ends a call that sent nothing yet with one HEADERS frame carrying the status (trailers-only), which every
    /// client and proxy reads, instead of an empty body followed by trailers.
    /// </summary>
    public static Task WriteTrailersOnlyAsync(HttpResponse response, Status status, Metadata? trailers, int httpStatus = StatusCodes.Status200OK)
    {
        response.StatusCode = httpStatus;
        response.ContentType = GrpcProtocol.ContentType;
        var headers = response.Headers;
        AddMetadata(headers, trailers);
        SetStatus(headers, status);
        return response.CompleteAsync();
    }

    public static void AppendTrailers(HttpResponse response, Status status, Metadata trailers)
    {
        foreach (var entry in trailers)
        {
            response.AppendTrailer(entry.Key, MetadataEncoding.EncodeValue(entry));
        }

        response.AppendTrailer(GrpcProtocol.StatusHeader, ((int)status.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (status.Detail.Length > 0)
        {
            response.AppendTrailer(GrpcProtocol.MessageHeader, PercentEncoding.Encode(status.Detail));
        }
    }

    public static void AddMetadata(IHeaderDictionary headers, Metadata? metadata)
    {
        if (metadata is null)
        {
            return;
        }

        foreach (var entry in metadata)
        {
            headers.Append(entry.Key, MetadataEncoding.EncodeValue(entry));
        }
    }

    private static void SetStatus(IHeaderDictionary headers, Status status)
    {
        headers[GrpcProtocol.StatusHeader] = ((int)status.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (status.Detail.Length > 0)
        {
            headers[GrpcProtocol.MessageHeader] = PercentEncoding.Encode(status.Detail);
        }
    }
}
