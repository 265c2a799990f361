using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Tests.Protocol;

public sealed class StatusMappingTests
{
    [Theory]
    [InlineData(Http2ErrorCode.NoError, 0x0)]
    [InlineData(Http2ErrorCode.ProtocolError, 0x1)]
    [InlineData(Http2ErrorCode.InternalError, 0x2)]
    [InlineData(Http2ErrorCode.FlowControlError, 0x3)]
    [InlineData(Http2ErrorCode.SettingsTimeout, 0x4)]
    [InlineData(Http2ErrorCode.StreamClosed, 0x5)]
    [InlineData(Http2ErrorCode.FrameSizeError, 0x6)]
    [InlineData(Http2ErrorCode.RefusedStream, 0x7)]
    [InlineData(Http2ErrorCode.Cancel, 0x8)]
    [InlineData(Http2ErrorCode.CompressionError, 0x9)]
    [InlineData(Http2ErrorCode.ConnectError, 0xa)]
    [InlineData(Http2ErrorCode.EnhanceYourCalm, 0xb)]
    [InlineData(Http2ErrorCode.InadequateSecurity, 0xc)]
    [InlineData(Http2ErrorCode.Http11Required, 0xd)]
    public void Http2_error_codes_have_their_RFC_9113_values(Http2ErrorCode code, int value)
    {
        Assert.Equal(value, (int)code);
    }

    [Fact]
    public void Every_RFC_9113_error_code_is_defined()
    {
        Assert.Equal(14, Enum.GetValues<Http2ErrorCode>().Length);
    }

    [Theory]
    [InlineData(0, StatusCode.OK)]
    [InlineData(1, StatusCode.Cancelled)]
    [InlineData(2, StatusCode.Unknown)]
    [InlineData(3, StatusCode.InvalidArgument)]
    [InlineData(4, StatusCode.DeadlineExceeded)]
    [InlineData(5, StatusCode.NotFound)]
    [InlineData(6, StatusCode.AlreadyExists)]
    [InlineData(7, StatusCode.PermissionDenied)]
    [InlineData(8, StatusCode.ResourceExhausted)]
    [InlineData(9, StatusCode.FailedPrecondition)]
    [InlineData(10, StatusCode.Aborted)]
    [InlineData(11, StatusCode.OutOfRange)]
    [InlineData(12, StatusCode.Unimplemented)]
    [InlineData(13, StatusCode.Internal)]
    [InlineData(14, StatusCode.Unavailable)]
    [InlineData(15, StatusCode.DataLoss)]
    [InlineData(16, StatusCode.Unauthenticated)]
    public void Status_codes_have_their_canonical_values(int value, StatusCode code)
    {
        Assert.Equal(value, (int)code);
    }

    /// <summary>grpc/grpc doc/http-grpc-status-mapping.md.</summary>
    [Theory]
    [InlineData(400, StatusCode.Internal)]
    [InlineData(401, StatusCode.Unauthenticated)]
    [InlineData(403, StatusCode.PermissionDenied)]
    [InlineData(404, StatusCode.Unimplemented)]
    [InlineData(429, StatusCode.Unavailable)]
    [InlineData(502, StatusCode.Unavailable)]
    [InlineData(503, StatusCode.Unavailable)]
    [InlineData(504, StatusCode.Unavailable)]
    [InlineData(415, StatusCode.Unknown)]
    [InlineData(426, StatusCode.Unknown)]
    [InlineData(500, StatusCode.Unknown)]
    [InlineData(302, StatusCode.Unknown)]
    public void Http_status_maps_to_grpc_status(int httpStatus, StatusCode expected)
    {
        Assert.Equal(expected, StatusMapping.FromHttpStatus(httpStatus));
    }

    /// <summary>grpc/grpc doc/PROTOCOL-HTTP2.md, "Errors".</summary>
    [Theory]
    [InlineData(Http2ErrorCode.NoError, StatusCode.Internal)]
    [InlineData(Http2ErrorCode.ProtocolError, StatusCode.Internal)]
    [InlineData(Http2ErrorCode.InternalError, StatusCode.Internal)]
    [InlineData(Http2ErrorCode.FlowControlError, StatusCode.Internal)]
    [InlineData(Http2ErrorCode.SettingsTimeout, StatusCode.Internal)]
    [InlineData(Http2ErrorCode.FrameSizeError, StatusCode.Internal)]
    [InlineData(Http2ErrorCode.RefusedStream, StatusCode.Unavailable)]
    [InlineData(Http2ErrorCode.Cancel, StatusCode.Cancelled)]
    [InlineData(Http2ErrorCode.CompressionError, StatusCode.Internal)]
    [InlineData(Http2ErrorCode.ConnectError, StatusCode.Internal)]
    [InlineData(Http2ErrorCode.EnhanceYourCalm, StatusCode.ResourceExhausted)]
    [InlineData(Http2ErrorCode.InadequateSecurity, StatusCode.PermissionDenied)]
    public void Stream_resets_map_to_grpc_status(Http2ErrorCode error, StatusCode expected)
    {
        Assert.Equal(expected, StatusMapping.FromHttp2Error(error));
    }

    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("application/grpc+json", true)]
    [InlineData("application/grpc;charset=utf-8", true)]
    [InlineData("APPLICATION/GRPC", true)]
    [InlineData("application/grpc-web", false)]
    [InlineData("application/grpc-web+proto", false)]
    [InlineData("application/grpcx", false)]
    [InlineData("application/json", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Recognises_grpc_content_types(string? contentType, bool expected)
    {
        Assert.Equal(expected, GrpcProtocol.IsGrpcContentType(contentType));
    }
}
