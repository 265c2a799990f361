using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Grpc.Health.V1;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Ferry.Gateway.Tests.Health;

/// <summary>The gateway's own grpc.health.v1.Health, answered on the listener's HTTP/2 streams.</summary>
public sealed class GatewayHealthServiceTests
{
    [Fact]
    public async Task Check_answers_for_the_gateway_and_its_clusters_and_names_an_unknown_service()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));
        var health = new global::Grpc.Health.V1.Health.HealthClient(gateway.Channel);

        Assert.Equal(ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default)).Status);
        Assert.Equal(ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = "c" }).ResponseAsync.WaitAsync(TestTimeouts.Default)).Status);
        var error = await Assert.ThrowsAsync<RpcException>(() => health.CheckAsync(new HealthCheckRequest { Service = "nope" }).ResponseAsync.WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Contains("Unknown service 'nope'", error.Status.Detail);
        Assert.Equal(0, backend.Probe.Requests);
    }

    [Fact]
    public async Task Watch_sends_the_status_and_ends_when_the_client_cancels()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));
        var health = new global::Grpc.Health.V1.Health.HealthClient(gateway.Channel);
        using var cts = new CancellationTokenSource();

        using var watch = health.Watch(new HealthCheckRequest(), cancellationToken: cts.Token);
        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        Assert.Equal(ServingStatus.Serving, watch.ResponseStream.Current.Status);

        cts.Cancel();
        var error = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);

        // The connection carries on: a forwarded call and another check beside the cancelled watch.
        Assert.Equal("a", (await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default)).Backend);
        Assert.Equal(ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default)).Status);
    }

    [Fact]
    public async Task An_unknown_health_method_or_a_malformed_request_gets_a_status_not_a_hang()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));
        using var raw = new RawGrpcClient(gateway.Address);

        var unknown = await raw.SendAsync(new RawGrpcRequest("/grpc.health.v1.Health/List", RawGrpcRequest.Frame(new HealthCheckRequest())));
        Assert.Equal(StatusCode.Unimplemented, unknown.GrpcStatus);

        var garbage = await raw.SendAsync(new RawGrpcRequest("/grpc.health.v1.Health/Check", [0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF]));
        Assert.Equal(StatusCode.Internal, garbage.GrpcStatus);

        var twoMessages = await raw.SendAsync(new RawGrpcRequest("/grpc.health.v1.Health/Check", [.. RawGrpcRequest.Frame(new HealthCheckRequest()), .. RawGrpcRequest.Frame(new HealthCheckRequest())]));
        Assert.Equal(StatusCode.Internal, twoMessages.GrpcStatus);
        Assert.Contains("exactly one message", twoMessages.GrpcMessage);
        Assert.Equal(0, backend.Probe.Requests);
    }
}
