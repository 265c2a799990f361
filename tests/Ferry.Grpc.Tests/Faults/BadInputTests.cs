using Google.Protobuf;
using Grpc.Testing;

namespace Ferry.Grpc.Tests.Faults;

/// <summary>
/// Malformed gRPC requests sent as raw HTTP/2 to a real server. Each must end its own stream with the status the
/// gRPC specification and the reference servers give, and leave the connection serving the other streams: a bidi
/// call open on the same connection ping-pongs after the fault, and no second connection is dialled.
/// </summary>
public sealed class BadInputTests
{
    private const string UnaryCall = "/grpc.testing.TestService/UnaryCall";

    private static byte[] ValidUnaryBody => RawRequest.Frame(new SimpleRequest { ResponseSize = 3 });

    [Fact]
    public async Task A_valid_raw_request_gets_a_message_and_trailers()
    {
        // The control case: the raw client itself is right, so the failures below are the server's answers.
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, ValidUnaryBody));
        Assert.Equal(200, response.HttpStatus);
        Assert.Equal("application/grpc", response.Headers["content-type"]);
        Assert.False(response.Headers.ContainsKey("grpc-status"));
        Assert.Equal("0", response.Trailers["grpc-status"]);
        var reply = SimpleResponse.Parser.ParseFrom(response.Body.AsSpan(5));
        Assert.Equal(3, reply.Payload.Body.Length);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(0x80)]
    public async Task A_malformed_compressed_flag_is_internal(byte flag)
    {
        var body = RawRequest.Frame(new SimpleRequest { ResponseSize = 3 }, flag);
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, body));
        AssertTrailersOnly(response, StatusCode.Internal);
    }

    [Fact]
    public async Task A_truncated_message_is_internal()
    {
        // The prefix promises 100 bytes; the stream ends after 10.
        byte[] body = [.. RawRequest.Prefix(0, 100), .. new byte[10]];
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, body));
        AssertTrailersOnly(response, StatusCode.Internal);
    }

    [Fact]
    public async Task A_stream_that_ends_inside_the_prefix_is_internal()
    {
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, [0, 0, 0]));
        AssertTrailersOnly(response, StatusCode.Internal);
    }

    [Fact]
    public async Task A_message_over_the_server_limit_is_refused_at_its_prefix_with_resource_exhausted()
    {
        // Only the prefix of a 4 MiB + 1 message is sent and the request stays open: the server must answer from the
        // prefix alone, without waiting for (or buffering) the payload.
        var holdOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            byte[] body = [.. RawRequest.Prefix(0, 4 * 1024 * 1024 + 1), .. new byte[16]];
            var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, body) { HoldOpenUntil = holdOpen.Task });
            AssertTrailersOnly(response, StatusCode.ResourceExhausted);
        }
        finally
        {
            holdOpen.TrySetResult();
        }
    }

    [Fact]
    public async Task A_message_over_a_configured_server_limit_is_resource_exhausted()
    {
        var body = RawRequest.Frame(new SimpleRequest { Payload = new Payload { Body = ByteString.CopyFrom(new byte[2000]) } });
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, body), grpc: o => o.MaxReceiveMessageSize = 1000);
        AssertTrailersOnly(response, StatusCode.ResourceExhausted);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("identity")]
    public async Task A_compressed_message_without_a_grpc_encoding_is_internal(string? encoding)
    {
        var body = RawRequest.Frame(new SimpleRequest { ResponseSize = 3 }, flag: 1);
        var request = new RawRequest(UnaryCall, body) { Headers = encoding is null ? [] : [("grpc-encoding", encoding)] };
        var response = await SendBesideBystanderAsync(request);
        AssertTrailersOnly(response, StatusCode.Internal);
    }

    [Fact]
    public async Task A_compressed_message_that_does_not_decompress_is_internal()
    {
        var body = RawRequest.Frame([1, 2, 3, 4, 5, 6, 7, 8], flag: 1);
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, body) { Headers = [("grpc-encoding", "gzip")] });
        AssertTrailersOnly(response, StatusCode.Internal);
    }

    [Fact]
    public async Task An_unsupported_grpc_encoding_is_unimplemented_and_names_the_supported_ones()
    {
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, ValidUnaryBody) { Headers = [("grpc-encoding", "snappy")] });
        AssertTrailersOnly(response, StatusCode.Unimplemented);
        Assert.Contains("gzip", response.Headers["grpc-accept-encoding"]);
        Assert.Contains("identity", response.Headers["grpc-accept-encoding"]);
    }

    [Fact]
    public async Task Identity_grpc_encoding_is_accepted()
    {
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, ValidUnaryBody) { Headers = [("grpc-encoding", "identity")] });
        Assert.Equal("0", response.Trailers["grpc-status"]);
    }

    /// <summary>
    /// A malformed grpc-timeout is INTERNAL, as grpc-go's HTTP/2 server answers ("malformed grpc-timeout").
    /// grpc-dotnet instead ignores the header; refusing is the safer choice, since ignoring it runs the call with no
    /// deadline at all.
    /// </summary>
    [Theory]
    [InlineData("abc")]
    [InlineData("10")]
    [InlineData("S")]
    [InlineData("123456789S")]
    [InlineData("-5S")]
    [InlineData("5s")]
    [InlineData("1.5S")]
    public async Task A_malformed_grpc_timeout_is_internal(string timeout)
    {
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, ValidUnaryBody) { Headers = [("grpc-timeout", timeout)] });
        AssertTrailersOnly(response, StatusCode.Internal);
        Assert.Contains("grpc-timeout", response.GrpcMessage);
    }

    [Theory]
    [InlineData("99999999H")]
    [InlineData("60000000M")]
    [InlineData("5000000S")]
    public async Task Grpc_timeouts_beyond_what_a_timer_can_hold_are_accepted(string timeout)
    {
        // Runtime timers take at most ~49.7 days; these outlast that and must not fail the call.
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, ValidUnaryBody) { Headers = [("grpc-timeout", timeout)] });
        Assert.True(response.GrpcStatus == StatusCode.OK, response.ToString());
    }

    [Theory]
    [InlineData("1n")]
    [InlineData("0S")]
    public async Task An_already_expired_grpc_timeout_cancels_the_handler(string timeout)
    {
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        var body = RawRequest.Frame(new FaultRequest { Action = "wait" });
        var response = await harness.SendAsync(new RawRequest("/ferry.tests.FaultService/Unary", body) { Headers = [("grpc-timeout", timeout)] });

        // The handler would wait for ever: only the deadline can end this call (whether it fires before the handler
        // starts or while it waits).
        AssertTrailersOnly(response, StatusCode.DeadlineExceeded);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    [InlineData("application/grpc-web")]
    [InlineData(null)]
    public async Task A_non_grpc_content_type_is_http_415(string? contentType)
    {
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, ValidUnaryBody) { ContentType = contentType });
        Assert.Equal(415, response.HttpStatus);
        Assert.Equal(StatusCode.Internal, response.GrpcStatus);
        Assert.Empty(response.Body);
    }

    [Theory]
    [InlineData("application/grpc+proto")]
    [InlineData("application/grpc;charset=utf-8")]
    public async Task Grpc_content_type_variants_are_accepted(string contentType)
    {
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, ValidUnaryBody) { ContentType = contentType });
        Assert.Equal(200, response.HttpStatus);
        Assert.Equal("0", response.Trailers["grpc-status"]);
    }

    [Fact]
    public async Task A_request_without_te_trailers_is_refused_with_internal()
    {
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, ValidUnaryBody) { TeTrailers = false });
        AssertTrailersOnly(response, StatusCode.Internal);
        Assert.Contains("te", response.GrpcMessage);
    }

    [Fact]
    public async Task A_request_without_te_trailers_is_served_when_the_check_is_off()
    {
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, ValidUnaryBody) { TeTrailers = false }, grpc: o => o.RequireTeTrailers = false);
        Assert.Equal("0", response.Trailers["grpc-status"]);
    }

    [Theory]
    [InlineData("/grpc.testing.NoSuchService/UnaryCall", "Service is unimplemented")]
    [InlineData("/grpc.testing.TestService/NoSuchMethod", "Method is unimplemented")]
    [InlineData("/grpc.testing.UnimplementedService/UnimplementedCall", "Service is unimplemented")]
    public async Task An_unknown_service_or_method_is_unimplemented_trailers_only(string path, string detail)
    {
        var response = await SendBesideBystanderAsync(new RawRequest(path, ValidUnaryBody));
        AssertTrailersOnly(response, StatusCode.Unimplemented);
        Assert.StartsWith(detail, response.GrpcMessage);
    }

    [Fact]
    public async Task A_method_the_service_does_not_override_is_unimplemented()
    {
        // TestService.UnimplementedCall is mapped but not implemented by TestServiceImpl.
        var response = await SendBesideBystanderAsync(new RawRequest("/grpc.testing.TestService/UnimplementedCall", RawRequest.Frame(new Empty())));
        AssertTrailersOnly(response, StatusCode.Unimplemented);
    }

    [Fact]
    public async Task A_payload_that_does_not_parse_is_internal()
    {
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, RawRequest.Frame([0xFF, 0xFF, 0xFF, 0xFF])));
        AssertTrailersOnly(response, StatusCode.Internal);
    }

    [Fact]
    public async Task A_unary_request_without_a_message_is_internal()
    {
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, []));
        AssertTrailersOnly(response, StatusCode.Internal);
    }

    [Fact]
    public async Task A_unary_request_with_two_messages_is_internal()
    {
        var response = await SendBesideBystanderAsync(new RawRequest(UnaryCall, [.. ValidUnaryBody, .. ValidUnaryBody]));
        AssertTrailersOnly(response, StatusCode.Internal);
    }

    [Fact]
    public async Task A_handler_that_throws_before_writing_is_unknown_trailers_only()
    {
        var body = RawRequest.Frame(new FaultRequest { Action = "throw" });
        var response = await SendBesideBystanderAsync(new RawRequest("/ferry.tests.FaultService/Unary", body));
        AssertTrailersOnly(response, StatusCode.Unknown);
        Assert.DoesNotContain("on purpose", response.GrpcMessage);
    }

    [Fact]
    public async Task Detailed_errors_put_the_exception_message_in_the_status()
    {
        var body = RawRequest.Frame(new FaultRequest { Action = "throw" });
        var response = await SendBesideBystanderAsync(new RawRequest("/ferry.tests.FaultService/Unary", body), grpc: o => o.EnableDetailedErrors = true);
        AssertTrailersOnly(response, StatusCode.Unknown);
        Assert.Contains("The handler failed on purpose.", response.GrpcMessage);
    }

    private static async Task<RawResponse> SendBesideBystanderAsync(RawRequest request, Action<Ferry.Grpc.AspNetCore.GrpcServerOptions>? grpc = null)
    {
        await using var harness = await FaultHarness.StartAsync(grpc);
        await using var bystander = await harness.OpenBystanderAsync();
        var response = await harness.SendAsync(request);
        await harness.AssertConnectionSurvivedAsync(bystander);
        return response;
    }

    /// <summary>
    /// A call refused before any message: status in the one HEADERS frame, HTTP 200, gRPC content type, no body
    /// and no trailing HEADERS.
    /// </summary>
    internal static void AssertTrailersOnly(RawResponse response, StatusCode expected)
    {
        Assert.True(response.GrpcStatus == expected, $"expected {expected}, got {response}");
        Assert.Equal(200, response.HttpStatus);
        Assert.True(response.IsTrailersOnly, $"not trailers-only: {response}");
        Assert.StartsWith("application/grpc", response.Headers["content-type"]);
        Assert.False(string.IsNullOrEmpty(response.GrpcMessage), $"no grpc-message: {response}");
    }
}
