using System.Net;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Grpc.Testing;

namespace Ferry.Gateway.Tests.Faults;

/// <summary>What the gateway refuses itself: unrouted methods and anything that is not gRPC (it is no open HTTP proxy).</summary>
public sealed class RefusalTests
{
    [Fact]
    public async Task A_method_no_route_matches_is_unimplemented_no_route()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Cluster("c", backend),
            route => route with { Match = new() { Service = "ferry.gateway.tests.Probe" } });

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            new TestService.TestServiceClient(gateway.Channel).EmptyCallAsync(new Empty()).ResponseAsync.WaitAsync(TestTimeouts.Default));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Contains("No route for /grpc.testing.TestService/EmptyCall", error.Status.Detail);
        Assert.Equal(0, backend.Probe.Requests);

        // The routed service still goes through.
        Assert.Equal("a", (await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default)).Backend);
    }

    public static TheoryData<string, string?, string> NonGrpcRequests => new()
    {
        { "GET", null, "/ferry.gateway.tests.Probe/Unary" },
        { "POST", "application/json", "/ferry.gateway.tests.Probe/Unary" },
        { "POST", "text/plain", "/index.html" },
        { "PUT", "application/grpc", "/ferry.gateway.tests.Probe/Unary" },
    };

    [Theory]
    [MemberData(nameof(NonGrpcRequests))]
    public async Task A_non_grpc_http2_request_is_refused_and_not_forwarded(string method, string? contentType, string path)
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));
        using var raw = new RawGrpcClient(gateway.Address);

        var response = await raw.SendAsync(new RawGrpcRequest(path, RawGrpcRequest.Frame(new ProbeRequest()))
        {
            Method = new HttpMethod(method),
            ContentType = contentType,
        });

        Assert.Equal((int)HttpStatusCode.UnsupportedMediaType, response.HttpStatus);
        Assert.Equal(0, backend.Probe.Requests);
    }

    [Fact]
    public async Task An_http1_request_is_refused_and_not_forwarded()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));
        using var raw = new RawGrpcClient(gateway.Address);

        // HTTP/1.1 on the listener reaches Kestrel's HTTP/1.1, which answers with the same refusal as HTTP/2 gets.
        var response = await raw.SendAsync(new RawGrpcRequest("/ferry.gateway.tests.Probe/Unary", RawGrpcRequest.Frame(new ProbeRequest())) { Version = HttpVersion.Version11 });
        Assert.Equal((int)HttpStatusCode.UnsupportedMediaType, response.HttpStatus);
        Assert.Null(response.GrpcStatus);
        Assert.Equal(0, backend.Probe.Requests);
    }

    [Fact]
    public async Task Metrics_are_served_over_http1_and_http2_on_the_listener()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));
        await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default);

        foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
        {
            using var http = new HttpClient { DefaultRequestVersion = version, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact, Timeout = TestTimeouts.Default };
            using var response = await http.GetAsync(new Uri(gateway.Address, "/metrics"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(version, response.Version);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString());
            Assert.Contains("ferry_gateway_calls", await response.Content.ReadAsStringAsync());
        }
    }
}
