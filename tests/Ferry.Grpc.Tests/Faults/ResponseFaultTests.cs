using Ferry.Grpc.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Ferry.Grpc.Tests.Faults;

/// <summary>
/// Responses that are not well-formed gRPC (plain HTTP errors, broken framing, stream resets, a missing status)
/// as the client sees them: each is a clean gRPC status, and the connection carries on.
/// </summary>
public sealed class ResponseFaultTests
{
    private static readonly TimeSpan T = FaultHarness.Timeout;

    [Theory]
    [InlineData(400, StatusCode.Internal)]
    [InlineData(401, StatusCode.Unauthenticated)]
    [InlineData(403, StatusCode.PermissionDenied)]
    [InlineData(404, StatusCode.Unimplemented)]
    [InlineData(429, StatusCode.Unavailable)]
    [InlineData(502, StatusCode.Unavailable)]
    [InlineData(503, StatusCode.Unavailable)]
    [InlineData(504, StatusCode.Unavailable)]
    [InlineData(500, StatusCode.Unknown)]
    public async Task A_non_grpc_http_error_maps_to_its_grpc_status(int httpStatus, StatusCode expected)
    {
        await using var harness = await FaultHarness.StartAsync(configure: b => b.WithApp(app =>
            app.MapPost("/plain.Http/{status:int}", (int status) => Results.StatusCode(status))));
        await using var bystander = await harness.OpenBystanderAsync();
        var method = new Method<byte[], byte[]>(MethodType.Unary, "plain.Http", httpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture), Marshallers.Bytes, Marshallers.Bytes);
        using var call = harness.Channel.CreateCallInvoker().AsyncUnaryCall(method, default, [1, 2, 3]);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(T));
        Assert.Equal(expected, error.StatusCode);
        Assert.Contains(httpStatus.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Status.Detail);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task A_200_response_that_is_not_grpc_is_unknown()
    {
        await using var harness = await FaultHarness.StartAsync(configure: b => b.WithApp(app =>
            app.MapPost("/plain.Http/Html", () => Results.Content("<html></html>", "text/html"))));
        var method = new Method<byte[], byte[]>(MethodType.Unary, "plain.Http", "Html", Marshallers.Bytes, Marshallers.Bytes);
        using var call = harness.Channel.CreateCallInvoker().AsyncUnaryCall(method, default, [1]);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(T));
        Assert.Equal(StatusCode.Unknown, error.StatusCode);
        Assert.Contains("text/html", error.Status.Detail);
    }

    [Theory]
    [InlineData("flag")]
    [InlineData("truncated")]
    [InlineData("prefix")]
    [InlineData("compressed")]
    [InlineData("encoding")]
    [InlineData("garbage-gzip")]
    public async Task A_malformed_response_is_internal_for_the_client(string kind)
    {
        // The mirror of the server's bad-input cases: a peer that frames its response wrongly, under an OK status.
        await using var harness = await FaultHarness.StartAsync(configure: b => b.WithApp(app =>
            app.MapPost("/plain.Bad/{kind}", async (HttpContext context, string kind) =>
            {
                context.Response.ContentType = "application/grpc";
                if (kind is "encoding" or "garbage-gzip")
                {
                    context.Response.Headers["grpc-encoding"] = kind == "encoding" ? "snappy" : "gzip";
                }

                byte[] body = kind switch
                {
                    "flag" => RawRequest.Frame([1, 2, 3], flag: 7),
                    "truncated" => [.. RawRequest.Prefix(0, 100), .. new byte[10]],
                    "prefix" => [0, 0, 0],
                    "compressed" or "garbage-gzip" => RawRequest.Frame([1, 2, 3], flag: 1),
                    _ => RawRequest.Frame([1, 2, 3]),
                };
                await context.Response.Body.WriteAsync(body);
                context.Response.AppendTrailer("grpc-status", "0");
            })));
        await using var bystander = await harness.OpenBystanderAsync();
        var method = new Method<byte[], byte[]>(MethodType.Unary, "plain.Bad", kind, Marshallers.Bytes, Marshallers.Bytes);
        using var call = harness.Channel.CreateCallInvoker().AsyncUnaryCall(method, default, [1]);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(T));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Theory]
    [InlineData(MethodType.Unary)]
    [InlineData(MethodType.ServerStreaming)]
    public async Task A_message_cut_short_by_an_error_status_reports_that_status(MethodType type)
    {
        // What a proxy whose backend failed mid-message sends: part of a message, then trailers with its status. As
        // grpc-js and grpcio do, the status decides, not the bytes it cut short.
        await using var harness = await FaultHarness.StartAsync(configure: b => b.WithApp(app =>
            app.MapPost("/plain.Cut/{kind}", async (HttpContext context) =>
            {
                context.Response.ContentType = "application/grpc";
                await context.Response.Body.WriteAsync(RawRequest.Frame([1, 2, 3]));
                await context.Response.Body.WriteAsync((byte[])[.. RawRequest.Prefix(0, 100), .. new byte[10]]);
                context.Response.AppendTrailer("grpc-status", "14");
                context.Response.AppendTrailer("grpc-message", "backend lost mid-message");
                context.Response.AppendTrailer("x-where", "gateway");
            })));
        await using var bystander = await harness.OpenBystanderAsync();
        var method = new Method<byte[], byte[]>(type, "plain.Cut", type.ToString(), Marshallers.Bytes, Marshallers.Bytes);
        RpcException error;
        if (type == MethodType.Unary)
        {
            using var call = harness.Channel.CreateCallInvoker().AsyncUnaryCall(method, default, [1]);
            error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(T));
        }
        else
        {
            using var call = harness.Channel.CreateCallInvoker().AsyncServerStreamingCall(method, default, [1]);
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
            Assert.Equal([1, 2, 3], call.ResponseStream.Current);
            error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
        }

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal("backend lost mid-message", error.Status.Detail);
        Assert.Equal("gateway", error.Trailers.GetValue("x-where"));
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Theory]
    [InlineData(Http2ErrorCode.RefusedStream, StatusCode.Unavailable)]
    [InlineData(Http2ErrorCode.Cancel, StatusCode.Cancelled)]
    [InlineData(Http2ErrorCode.EnhanceYourCalm, StatusCode.ResourceExhausted)]
    [InlineData(Http2ErrorCode.InternalError, StatusCode.Internal)]
    [InlineData(Http2ErrorCode.NoError, StatusCode.Internal)]
    public async Task A_stream_reset_by_the_server_maps_to_its_grpc_status(Http2ErrorCode code, StatusCode expected)
    {
        await using var harness = await FaultHarness.StartAsync(configure: b => b.WithApp(app =>
            app.MapPost("/plain.Reset/{code:int}", (HttpContext context, int code) =>
            {
                context.Features.GetRequiredFeature<IHttpResetFeature>().Reset(code);
                return Task.CompletedTask;
            })));
        await using var bystander = await harness.OpenBystanderAsync();
        var method = new Method<byte[], byte[]>(MethodType.Unary, "plain.Reset", ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture), Marshallers.Bytes, Marshallers.Bytes);
        using var call = harness.Channel.CreateCallInvoker().AsyncUnaryCall(method, default, [1]);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(T));
        Assert.Equal(expected, error.StatusCode);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task A_grpc_response_that_ends_without_a_status_is_internal()
    {
        // A gRPC content type and a message, but no grpc-status: what a proxy that drops trailers produces.
        await using var harness = await FaultHarness.StartAsync(configure: b => b.WithApp(app =>
            app.MapPost("/plain.Http/NoStatus", async (HttpContext context) =>
            {
                context.Response.ContentType = "application/grpc";
                await context.Response.Body.WriteAsync(RawRequest.Frame([7]));
            })));
        var method = new Method<byte[], byte[]>(MethodType.Unary, "plain.Http", "NoStatus", Marshallers.Bytes, Marshallers.Bytes);
        using var call = harness.Channel.CreateCallInvoker().AsyncUnaryCall(method, default, [1]);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(T));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }
}
