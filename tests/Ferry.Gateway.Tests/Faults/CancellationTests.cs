using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Ferry.Grpc.Client;

namespace Ferry.Gateway.Tests.Faults;

/// <summary>
/// A client that cancels or vanishes cancels the backend's call at once (RST_STREAM forwarded), so the backend
/// never keeps working for nobody.
/// </summary>
public sealed class CancellationTests
{
    /// <summary>"Promptly": a cancel crosses two loopback hops in well under a millisecond; this allows for a loaded machine.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_client_cancel_reaches_the_backend_handler_promptly()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));
        using var cts = new CancellationTokenSource();

        // No deadline anywhere: only the forwarded reset can cancel the backend's handler.
        using var call = gateway.Client.UnaryAsync(new ProbeRequest { Action = "hold" }, cancellationToken: cts.Token);
        var held = await backend.Probe.NextHeldAsync();
        var cancelled = Stopwatch.GetTimestamp();
        cts.Cancel();

        await held.Cancelled.Task.WaitAsync(TestTimeouts.Default);
        var elapsed = Stopwatch.GetElapsedTime(cancelled);
        Assert.True(elapsed < Prompt, $"the backend saw the cancel after {elapsed.TotalMilliseconds:0} ms");
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
    }

    [Fact]
    public async Task A_client_cancelling_a_bidi_stream_cancels_the_backend_stream()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));
        using var cts = new CancellationTokenSource();

        using var call = gateway.Client.Duplex(cancellationToken: cts.Token);
        await call.RequestStream.WriteAsync(new ProbeRequest { Sequence = 1 }).WaitAsync(TestTimeouts.Default);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        await call.RequestStream.WriteAsync(new ProbeRequest { Action = "hold" }).WaitAsync(TestTimeouts.Default);
        var held = await backend.Probe.NextHeldAsync();

        cts.Cancel();

        await held.Cancelled.Task.WaitAsync(Prompt);
    }

    [Fact]
    public async Task A_client_that_vanishes_cancels_the_backend_call()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));

        // A client whose socket the test can pull: no RST_STREAM, no GOAWAY, just a TCP reset.
        Socket? clientSocket = null;
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, token);
                clientSocket = socket;
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var channel = GrpcChannel.ForAddress(gateway.Address, new GrpcChannelOptions { HttpHandler = handler });
        var client = new Probe.ProbeClient(channel);

        using var call = client.UnaryAsync(new ProbeRequest { Action = "hold" });
        var held = await backend.Probe.NextHeldAsync();
        Assert.NotNull(clientSocket);
        clientSocket.LingerState = new LingerOption(true, 0);
        clientSocket.Close();

        await held.Cancelled.Task.WaitAsync(TestTimeouts.Default);
        await Assert.ThrowsAnyAsync<Exception>(() => call.ResponseAsync.WaitAsync(TestTimeouts.Default));
    }
}
