using Ferry.Gateway.Config;
using Ferry.Gateway.Hosting;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Tests.Interop;
using Ferry.Grpc.Tests.Tls;
using Grpc.Testing;

namespace Ferry.Gateway.Tests.Faults;

/// <summary>A backend that dies in the middle of a call: the client gets an error status, never a hang.</summary>
public sealed class BackendFailureTests
{
    [Fact]
    public async Task A_backend_connection_reset_mid_stream_ends_the_call_with_unavailable()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var connector = new KillableConnector();
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Single(GatewayConfigs.Cluster("c", backend)),
            new GatewayHostOptions { Connector = connector, ShutdownTimeout = TimeSpan.FromSeconds(2) });

        using var call = gateway.Client.Duplex();
        await call.RequestStream.WriteAsync(new ProbeRequest { Sequence = 1 }).WaitAsync(TestTimeouts.Default);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));

        connector.KillAll();

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains(backend.Address, error.Status.Detail);
    }

    [Fact]
    public async Task A_backend_connection_reset_while_a_unary_call_waits_ends_it_with_unavailable()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var connector = new KillableConnector();
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Single(GatewayConfigs.Cluster("c", backend)),
            new GatewayHostOptions { Connector = connector, ShutdownTimeout = TimeSpan.FromSeconds(2) });

        using var call = gateway.Client.UnaryAsync(new ProbeRequest { Action = "hold" });
        var held = await backend.Probe.NextHeldAsync();
        connector.KillAll();

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        await held.Cancelled.Task.WaitAsync(TestTimeouts.Default);
    }

    /// <summary>
    /// A real peer backend process killed (SIGKILL) while a server stream waits for its next message: the gateway's
    /// connection breaks and the client's call ends with UNAVAILABLE.
    /// </summary>
    [PeerTheory]
    [InlineData(Peer.Python)]
    [InlineData(Peer.Node)]
    public async Task A_backend_process_killed_mid_stream_ends_the_call_with_unavailable(Peer peer)
    {
        using var certificates = new TestCertificates();
        var server = Peers.StartServer(peer, TransportSecurity.Plaintext, certificates);
        try
        {
            var port = await Peers.WaitForListeningAsync(server, TestTimeouts.Default);
            await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", [new EndpointConfig { Address = $"127.0.0.1:{port}" }]));
            var client = new TestService.TestServiceClient(gateway.Channel);

            // One message now, the next in 20 s: the kill lands while the gateway waits for it.
            using var call = client.StreamingOutputCall(new StreamingOutputCallRequest
            {
                ResponseParameters = { new ResponseParameters { Size = 10 }, new ResponseParameters { Size = 10, IntervalUs = 20_000_000 } },
            });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));

            await server.DisposeAsync();

            var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>
    /// The backend's connection drops in the middle of a message: the client still gets the status in trailers, after
    /// the part that came (gRPC clients drop the part and report the status), not a stream reset read as INTERNAL.
    /// </summary>
    [Fact]
    public async Task A_backend_lost_in_the_middle_of_a_message_ends_the_call_with_unavailable_in_trailers()
    {
        byte[] part = [.. RawGrpcRequest.Prefix(0, 100), .. new byte[10]];
        await using var backend = new RawHttp2Backend(async (stream, _, stop) =>
        {
            await RawHttp2Backend.AcceptAsync(stream, stop);
            var header = await RawHttp2Backend.ReadUntilHeadersAsync(stream, stop);
            await RawHttp2Backend.WriteAsync(stream, o =>
            {
                RawHttp2Backend.WriteResponseHeaders(o, new HpackEncoder(), header.StreamId);
                Http2FrameWriter.WriteData(o, header.StreamId, new System.Buffers.ReadOnlySequence<byte>(part), false);
            });
            // Returning closes the connection, half-way through the message.
        });
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", [new EndpointConfig { Address = $"127.0.0.1:{backend.Port}" }]));
        using var client = new RawGrpcClient(gateway.Address);

        var reply = await client.SendAsync(new RawGrpcRequest("/ferry.gateway.tests.Probe/Unary", RawGrpcRequest.Frame(new ProbeRequest())));

        Assert.Equal(part, reply.Body);
        Assert.Equal(StatusCode.Unavailable, reply.GrpcStatus);
        Assert.Equal("14", reply.Trailers["grpc-status"]);
        Assert.Contains($"127.0.0.1:{backend.Port}", reply.GrpcMessage);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
    }
}
