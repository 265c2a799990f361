using System.Net.Sockets;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Gateway.Upstream;
using Ferry.Grpc.Client;

namespace Ferry.Gateway.Tests.Faults;

/// <summary>
/// A client that drops its connection with calls in flight is the client leaving, not the backend failing: however
/// many calls it takes down, the backend keeps its health and the next client is served.
/// </summary>
public sealed class VanishingClientTests
{
    [Fact]
    public async Task A_client_dropping_a_connection_with_streams_in_flight_does_not_eject_the_backend()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));
        var endpoint = gateway.Cluster("c").Endpoints.Single();

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

        // Twice the default consecutive_failures (5): each stream has a reply out and its request copy waiting.
        var calls = new List<Ferry.Grpc.AsyncDuplexStreamingCall<ProbeRequest, ProbeReply>>();
        for (var i = 0; i < 10; i++)
        {
            var call = client.Duplex();
            calls.Add(call);
            await call.RequestStream.WriteAsync(new ProbeRequest { Sequence = i }).WaitAsync(TestTimeouts.Default);
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        }

        Assert.NotNull(clientSocket);
        clientSocket.LingerState = new LingerOption(true, 0);
        clientSocket.Close();
        await WaitUntilAsync(() => endpoint.Outstanding == 0, "the gateway has ended every call of the dropped connection");

        Assert.Equal(HealthState.Healthy, endpoint.State);
        var reply = await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default);
        Assert.Equal("a", reply.Backend);
        foreach (var call in calls)
        {
            call.Dispose();
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TestTimeouts.Default;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after {TestTimeouts.Default.TotalSeconds:0} s waiting until {what}.");
            await Task.Delay(TimeSpan.FromMilliseconds(25));
        }
    }
}
