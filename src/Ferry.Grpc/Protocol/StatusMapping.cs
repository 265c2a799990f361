namespace Ferry.Grpc.Protocol;

/// <summary>The mappings the gRPC HTTP/2 specification gives from HTTP outcomes to gRPC status codes.</summary>
internal static class StatusMapping
{
    /// <summary>A response that is not a gRPC response (no grpc-status) is judged by its HTTP status.</summary>
    public static StatusCode FromHttpStatus(int httpStatus) => httpStatus switch
    {
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };

    /// <summary>A stream reset by the peer before a status arrived.</summary>
    public static StatusCode FromHttp2Error(Http2ErrorCode error) => error switch
    {
        Http2ErrorCode.RefusedStream => StatusCode.Unavailable,
        Http2ErrorCode.Cancel => StatusCode.Cancelled,
        Http2ErrorCode.EnhanceYourCalm => StatusCode.ResourceExhausted,
        Http2ErrorCode.InadequateSecurity => StatusCode.PermissionDenied,
        _ => StatusCode.Internal,
    };
}
