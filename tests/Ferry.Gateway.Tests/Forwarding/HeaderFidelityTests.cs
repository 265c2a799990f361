using Ferry.Gateway.Config;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Google.Protobuf;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// Headers and trailers through the gateway: what the client sends reaches the backend, what the backend sends
/// reaches the client, in the same frames (trailers-only stays trailers-only; headers are not held back until the
/// first message).
/// </summary>
public sealed class HeaderFidelityTests
{
    private static readonly byte[] BinaryValue = [0, 1, 2, 0x7f, 0x80, 0xfe, 0xff];

    [Fact]
    public async Task Custom_metadata_including_binary_goes_both_ways()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));

        var headers = new Metadata { { "x-test-text", "hello, world" }, { "x-test-data-bin", BinaryValue } };
        using var call = gateway.Client.UnaryAsync(new ProbeRequest { Action = "metadata" }, headers);
        var reply = await call.ResponseAsync.WaitAsync(TestTimeouts.Default);

        // Backend side: the headers arrived as sent (the -bin value base64 on the wire, unpadded or padded).
        Assert.Equal("hello, world", reply.RequestHeaders["x-test-text"]);
        Assert.Equal(BinaryValue, Convert.FromBase64String(Pad(reply.RequestHeaders["x-test-data-bin"])));

        // Client side: the backend's echo in the response headers and in the trailers.
        var responseHeaders = await call.ResponseHeadersAsync.WaitAsync(TestTimeouts.Default);
        Assert.Equal("hello, world", responseHeaders.GetValue("x-test-text"));
        Assert.Equal(BinaryValue, responseHeaders.GetValueBytes("x-test-data-bin"));
        var trailers = call.GetTrailers();
        Assert.Equal("hello, world", trailers.GetValue("x-test-text"));
        Assert.Equal(BinaryValue, trailers.GetValueBytes("x-test-data-bin"));
    }

    [Fact]
    public async Task Status_message_and_details_pass_through()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));
        byte[] details = [.. "google.rpc.Status bytes"u8, 0, 0xff];

        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.UnaryAsync(new ProbeRequest
        {
            Action = "status",
            Code = (int)StatusCode.FailedPrecondition,
            Message = "not now: 100% \u00e9t\u00e9 \u2603",
            Payload = ByteString.CopyFrom(details),
        }).ResponseAsync.WaitAsync(TestTimeouts.Default));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("not now: 100% \u00e9t\u00e9 \u2603", error.Status.Detail);
        Assert.Equal(details, error.Trailers.GetValueBytes("grpc-status-details-bin"));
    }

    [Fact]
    public async Task A_trailers_only_response_stays_trailers_only()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));
        using var raw = new RawGrpcClient(gateway.Address);

        var failed = await raw.SendAsync(new RawGrpcRequest(
            "/ferry.gateway.tests.Probe/Unary",
            RawGrpcRequest.Frame(new ProbeRequest { Action = "status", Code = (int)StatusCode.NotFound, Message = "gone" })));

        Assert.True(failed.IsTrailersOnly, $"Expected grpc-status in the response headers with no body and no trailers: {failed}");
        Assert.Equal(StatusCode.NotFound, failed.GrpcStatus);
        Assert.Equal("gone", failed.GrpcMessage);
        Assert.Equal("application/grpc", failed.Headers["content-type"]);

        // The control case: a response with a message keeps its status in the trailers.
        var ok = await raw.SendAsync(new RawGrpcRequest("/ferry.gateway.tests.Probe/Unary", RawGrpcRequest.Frame(new ProbeRequest())));
        Assert.False(ok.Headers.ContainsKey("grpc-status"), ok.ToString());
        Assert.Equal("0", ok.Trailers["grpc-status"]);
        Assert.Equal("a", ProbeReply.Parser.ParseFrom(ok.Body.AsSpan(5)).Backend);
    }

    [Fact]
    public async Task Backend_headers_reach_the_client_before_the_first_message()
    {
        // WIRE-NOTES trap 1: a proxy that holds response headers until the first message loses them when the backend
        // sends headers and then waits (or fails).
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));

        using var call = gateway.Client.ServerStream(new ProbeRequest { Action = "headers-then-hold" });
        var held = await backend.Probe.NextHeldAsync();
        var headers = await call.ResponseHeadersAsync.WaitAsync(TestTimeouts.Default);
        Assert.Equal("before-any-message", headers.GetValue("x-initial"));
        Assert.False(held.Release.Task.IsCompleted, "The backend must still be waiting while the client has its headers.");

        held.Release.SetResult();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Backend_headers_survive_a_failure_before_the_first_message()
    {
        // The other half of trap 1: headers sent, then an error and no message. The client must get both the headers
        // and the backend's status (in trailers, since the headers went first).
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));

        using var call = gateway.Client.UnaryAsync(new ProbeRequest { Action = "headers-then-status", Code = (int)StatusCode.Aborted, Message = "conflict" });
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.Aborted, error.StatusCode);
        Assert.Equal("conflict", error.Status.Detail);
        var headers = await call.ResponseHeadersAsync.WaitAsync(TestTimeouts.Default);
        Assert.Equal("before-the-error", headers.GetValue("x-initial"));
    }

    [Fact]
    public async Task Te_trailers_x_forwarded_for_and_the_authority_reach_the_backend()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));

        var reply = await gateway.Client.UnaryAsync(new ProbeRequest(), new Metadata { { "x-forwarded-for", "203.0.113.7" } })
            .ResponseAsync.WaitAsync(TestTimeouts.Default);

        Assert.Equal("trailers", reply.RequestHeaders["te"]);
        Assert.Equal("203.0.113.7, 127.0.0.1", reply.RequestHeaders["x-forwarded-for"]);
        Assert.Equal($"127.0.0.1:{gateway.EndPoint.Port}", reply.Authority);
        Assert.Equal("application/grpc", reply.RequestHeaders["content-type"]);
        Assert.False(reply.RequestHeaders.ContainsKey("forwarded"), "forwarded is off unless the route turns it on.");
    }

    [Fact]
    public async Task The_route_can_send_the_endpoint_as_authority_and_a_forwarded_header()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Cluster("c", backend),
            route => route with { Authority = AuthorityMode.Endpoint, Forwarded = true, XForwardedFor = false });

        var reply = await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default);

        Assert.Equal(backend.Address, reply.Authority);
        Assert.Equal($"for=127.0.0.1;proto=http;host=\"127.0.0.1:{gateway.EndPoint.Port}\"", reply.RequestHeaders["forwarded"]);
        Assert.False(reply.RequestHeaders.ContainsKey("x-forwarded-for"));
    }

    [Fact]
    public async Task Hop_by_hop_headers_are_not_forwarded()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));
        using var raw = new RawGrpcClient(gateway.Address);

        // te with anything but "trailers" is hop-by-hop; a proxy-authorization is for the gateway alone.
        var response = await raw.SendAsync(new RawGrpcRequest("/ferry.gateway.tests.Probe/Unary", RawGrpcRequest.Frame(new ProbeRequest()))
        {
            Headers = [("proxy-authorization", "Basic Zm9vOmJhcg=="), ("x-keep", "yes")],
        });

        Assert.Equal("0", response.Trailers["grpc-status"]);
        var reply = ProbeReply.Parser.ParseFrom(response.Body.AsSpan(5));
        Assert.Equal("yes", reply.RequestHeaders["x-keep"]);
        Assert.False(reply.RequestHeaders.ContainsKey("proxy-authorization"));
        Assert.Equal("trailers", reply.RequestHeaders["te"]);
    }

    private static string Pad(string base64) => (base64.Length % 4) switch
    {
        2 => base64 + "==",
        3 => base64 + "=",
        _ => base64,
    };
}
