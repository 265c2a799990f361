using Ferry.Grpc.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

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

    /// <summary>
    /// Adds the status and trailers after the messages. Empty values bypass <c>AppendTrailer</c>, which drops them.
    /// </summary>
    public static void AppendTrailers(HttpResponse response, Status status, Metadata trailers)
    {
        foreach (var entry in trailers)
        {
            var value = MetadataEncoding.EncodeValue(entry);
            if (value.Length == 0 && response.SupportsTrailers())
            {
                var declared = response.HttpContext.Features.GetRequiredFeature<IHttpResponseTrailersFeature>().Trailers;
                declared[entry.Key] = StringValues.Concat(declared[entry.Key], value);
                continue;
            }

            response.AppendTrailer(entry.Key, value);
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

        // Not headers.Append: it drops empty values, and an empty value (or empty bytes) is valid metadata.
        foreach (var entry in metadata)
        {
            headers[entry.Key] = StringValues.Concat(headers[entry.Key], MetadataEncoding.EncodeValue(entry));
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
