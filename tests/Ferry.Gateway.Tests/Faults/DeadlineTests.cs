using System.Diagnostics;
using Ferry.Gateway.Config;
using Ferry.Gateway.Hosting;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Ferry.Grpc.Http2;

namespace Ferry.Gateway.Tests.Faults;

/// <summary>
/// Deadlines through the gateway: the client's is honoured and passed on, the route's default and maximum apply,
/// and a backend that never answers is cut off at the deadline on both sides.
/// </summary>
public sealed class DeadlineTests
{
    [Fact]
    public async Task A_backend_that_never_answers_ends_with_deadline_exceeded_near_the_deadline_and_is_cancelled()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));
        using var client = await RawGrpcClient.ConnectedAsync(gateway.Address);
        var timeout = TimeSpan.FromMilliseconds(500);

        var started = Stopwatch.GetTimestamp();
        var deadline = DateTime.UtcNow + timeout;
        using var call = client.Client.UnaryAsync(new ProbeRequest { Action = "hold" }, deadline: deadline);
        var held = await backend.Probe.NextHeldAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(TestTimeouts.Default));
        var elapsed = Stopwatch.GetElapsedTime(started);

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.InRange(elapsed, timeout - TimeSpan.FromMilliseconds(50), timeout + TimeSpan.FromSeconds(3));

        // The backend's handler is cancelled too (it does not keep working for nobody), and it ran under a deadline no
        // later than the client's.
        var cancelledAt = await held.Cancelled.Task.WaitAsync(TestTimeouts.Default);
        Assert.True(held.Context.Deadline <= deadline.AddMilliseconds(250), $"backend deadline {held.Context.Deadline:O}, client deadline {deadline:O}");
        Assert.InRange(cancelledAt, deadline - TimeSpan.FromMilliseconds(200), deadline + TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task A_server_stream_that_stalls_ends_with_deadline_exceeded_after_its_messages()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));

        using var call = gateway.Client.Duplex(deadline: DateTime.UtcNow.AddSeconds(3));
        await call.RequestStream.WriteAsync(new ProbeRequest { Sequence = 1 }).WaitAsync(TestTimeouts.Default);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        await call.RequestStream.WriteAsync(new ProbeRequest { Action = "hold" }).WaitAsync(TestTimeouts.Default);
        var held = await backend.Probe.NextHeldAsync();

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        await held.Cancelled.Task.WaitAsync(TestTimeouts.Default);
    }

    /// <summary>
    /// The first endpoint takes a second to refuse the connection and the call is retried on the second: the backend
    /// must get the time that is left, not the client's whole timeout again (or it works past the client's deadline).
    /// </summary>
    [Fact]
    public async Task The_timeout_passed_on_is_reduced_by_the_time_already_spent()
    {
        using var slow = new ClosedPort();
        await using var live = await TestBackend.StartAsync("live");
        var slowPort = int.Parse(slow.Address.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Single(GatewayConfigs.Cluster("c", [new EndpointConfig { Address = slow.Address }, live.Endpoint()], "round_robin")),
            new GatewayHostOptions { Connector = new SlowRefusingConnector(slowPort, TimeSpan.FromSeconds(1)), ShutdownTimeout = TimeSpan.FromSeconds(2) });

        using var client = await RawGrpcClient.ConnectedAsync(gateway.Address);
        var clientDeadline = DateTime.UtcNow.AddSeconds(5);
        var reply = await client.Client.UnaryAsync(new ProbeRequest(), deadline: clientDeadline).ResponseAsync.WaitAsync(TestTimeouts.Default);

        Assert.Equal("live", reply.Backend);
        var backendDeadline = DateTimeOffset.FromUnixTimeMilliseconds(reply.DeadlineUnixMs);
        Assert.True(
            // Time in transit may add to a timeout (see below); a second not deducted would add a second.
            backendDeadline <= new DateTimeOffset(clientDeadline) + TimeSpan.FromMilliseconds(250),
            $"the backend's deadline {backendDeadline:O} is later than the client's {clientDeadline:O}");
    }

    [Fact]
    public async Task The_route_default_deadline_applies_when_the_client_sets_none()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Cluster("c", backend),
            route => route with { Timeouts = new() { DefaultDeadline = TimeSpan.FromSeconds(3), MaxDeadline = TimeSpan.FromSeconds(10) } });

        // The default deadline starts when the gateway receives the call; a first call also pays for connections
        // and JIT compilation on the way there, so the path is warmed before the measured call.
        await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default);
        var sent = DateTimeOffset.UtcNow;
        var reply = await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default);

        Assert.NotEqual(0, reply.DeadlineUnixMs);
        var granted = DateTimeOffset.FromUnixTimeMilliseconds(reply.DeadlineUnixMs) - sent;
        Assert.InRange(granted, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3) + TimeSpan.FromMilliseconds(100));
        Assert.Matches("^[0-9]{1,8}[HMSmun]$", reply.RequestHeaders["grpc-timeout"]);
    }

    [Fact]
    public async Task Without_a_route_default_a_call_without_deadline_reaches_the_backend_without_one()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));

        var reply = await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default);

        Assert.Equal(0, reply.DeadlineUnixMs);
        Assert.False(reply.RequestHeaders.ContainsKey("grpc-timeout"));
    }

    [Fact]
    public async Task The_route_max_deadline_caps_a_longer_client_deadline_and_a_shorter_one_is_passed_on()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Cluster("c", backend),
            route => route with { Timeouts = new() { MaxDeadline = TimeSpan.FromSeconds(2) } });

        // A first call opens the connections on both sides, so that the calls measured below take only the time in
        // transit (a cold first call can spend hundreds of milliseconds dialling on a busy machine, past the bound).
        await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default);

        // Asks for a minute, gets at most two seconds.
        var sent = DateTimeOffset.UtcNow;
        var capped = await gateway.Client.UnaryAsync(new ProbeRequest(), deadline: DateTime.UtcNow.AddMinutes(1)).ResponseAsync.WaitAsync(TestTimeouts.Default);
        Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds(capped.DeadlineUnixMs) - sent, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2) + TimeSpan.FromMilliseconds(100));

        // Asks for no deadline at all: the maximum applies too.
        sent = DateTimeOffset.UtcNow;
        var none = await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default);
        Assert.InRange(DateTimeOffset.FromUnixTimeMilliseconds(none.DeadlineUnixMs) - sent, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2) + TimeSpan.FromMilliseconds(100));

        // Asks for less than the maximum: passed on (on a warm connection, see ConnectedAsync). A timeout travels as a
        // duration, so the time in transit to the gateway, which neither side can know, may add to it: on a busy
        // machine tens of milliseconds. The bound stays far below the two seconds the maximum would have given.
        using var client = await RawGrpcClient.ConnectedAsync(gateway.Address);
        var clientDeadline = DateTime.UtcNow.AddMilliseconds(1500);
        var shorter = await client.Client.UnaryAsync(new ProbeRequest(), deadline: clientDeadline).ResponseAsync.WaitAsync(TestTimeouts.Default);
        Assert.InRange(
            DateTimeOffset.FromUnixTimeMilliseconds(shorter.DeadlineUnixMs),
            new DateTimeOffset(clientDeadline) - TimeSpan.FromSeconds(1),
            new DateTimeOffset(clientDeadline) + TimeSpan.FromMilliseconds(250));
    }

    /// <summary>
    /// The deadline passes while the gateway waits for the client's window, and what it queued ends exactly after a
    /// message: the status can still go in trailers. (A reset would reach the client as CANCELLED, and HttpClient or
    /// grpc-js would throw away the whole messages they had already received.)
    /// </summary>
    [Fact]
    public async Task A_deadline_that_passes_while_the_client_window_is_full_between_messages_ends_with_trailers()
    {
        // Four messages of 21845 bytes (framed) against a client stream window of 65535: exactly three fit.
        const int Framed = 21_845;
        var message = RawGrpcRequest.Frame(new byte[Framed - 5]);
        await using var backend = new RawHttp2Backend((stream, _, stop) => AnswerEveryRequestAsync(stream, [.. message, .. message, .. message, .. message], stop));
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Cluster("c", [new EndpointConfig { Address = $"127.0.0.1:{backend.Port}" }]),
            route => route with { Timeouts = new() { DefaultDeadline = TimeSpan.FromMilliseconds(300) } });
        using var client = new RawGrpcClient(gateway.Address);
        client.Handler.InitialHttp2StreamWindowSize = 65_535;

        using var request = new RawGrpcRequest("/ferry.gateway.tests.Probe/ServerStream", RawGrpcRequest.Frame(new ProbeRequest())).ToMessage(gateway.Address);
        using var response = await client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TestTimeouts.Default);
        // Read nothing until the deadline has passed: the gateway's write of the fourth message is waiting for window.
        await Task.Delay(TimeSpan.FromMilliseconds(900));
        var reply = await RawGrpcResponse.ReadAsync(response);

        Assert.Equal(StatusCode.DeadlineExceeded, reply.GrpcStatus);
        Assert.Equal("4", reply.Trailers["grpc-status"]);
        Assert.Equal(3 * Framed, reply.Body.Length);
    }

    private static async Task AnswerEveryRequestAsync(Stream stream, byte[] body, CancellationToken stop)
    {
        var encoder = new HpackEncoder();
        await RawHttp2Backend.AcceptAsync(stream, stop);
        while (true)
        {
            var header = await RawHttp2Backend.ReadUntilHeadersAsync(stream, stop);
            await RawHttp2Backend.WriteAsync(stream, o =>
            {
                RawHttp2Backend.WriteResponseHeaders(o, encoder, header.StreamId);
                Http2FrameWriter.WriteDataFrames(o, header.StreamId, new System.Buffers.ReadOnlySequence<byte>(body), false, 16_384);
            });
        }
    }
}
