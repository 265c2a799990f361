using System.Text.RegularExpressions;
using Ferry.Gateway.Config;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Ferry.Grpc.Testing;
using Ferry.Grpc.Tests.Interop;
using Ferry.Grpc.Tests.Tls;
using Ferry.Interop;
using Grpc.Testing;

namespace Ferry.Gateway.Tests.Faults;

/// <summary>
/// Many concurrent random calls through the gateway, as ordinary tests do not make them: all four kinds, some
/// cancelled part way, some under deadlines of a few milliseconds, some asking for error statuses, large messages and
/// metadata, from grpc-js or grpcio (interop/*/chaos_client.*) to a grpc-js backend and a Ferry backend at once. Every call
/// must end as it is allowed to, the gateway must survive it, and no stream may be left behind.
/// </summary>
public sealed partial class ChaosTests
{
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(120);

    // The backends are grpc-js's interop server and Ferry's. Not the Python interop server: under cancelled client
    // streams its grpcio handlers stop being served, with or without the gateway in between (the same run straight to
    // it hangs), so it cannot take this load.
    [PeerTheory]
    [InlineData(Peer.Node)]
    [InlineData(Peer.Python)]
    public async Task Random_calls_with_cancels_and_deadlines_all_end_as_allowed_and_leave_no_stream_behind(Peer client)
    {
        using var certificates = new TestCertificates();
        await using var peerBackend = Peers.StartServer(Peer.Node, TransportSecurity.Plaintext, certificates);
        await using var ferryBackend = await GrpcTestServer.StartAsync(s => s.AddService<TestServiceImpl>().WithGrpcOptions(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024));
        var peerPort = await Peers.WaitForListeningAsync(peerBackend, TestTimeouts.Default);
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster(
            "c",
            [new EndpointConfig { Address = $"127.0.0.1:{peerPort}" }, new EndpointConfig { Address = $"127.0.0.1:{ferryBackend.Address.Port}" }],
            loadBalancing: "least_connections"));

        var port = gateway.EndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using (var chaos = client == Peer.Node
            ? PeerProcess.Start("node", [Path.Combine(Peers.InteropDirectory, "node", "chaos_client.js"), "--server_port", port, "--seconds", "12", "--concurrency", "32"])
            : PeerProcess.Start(Peers.PythonExecutable, [Path.Combine(Peers.InteropDirectory, "python", "chaos_client.py"), "--server_port", port, "--seconds", "12", "--threads", "16"]))
        {
            var exit = await chaos.WaitForExitAsync(s_runTimeout);
            Assert.True(exit == 0, chaos.Describe());
        }

        // Every stream the calls opened is closed, on both sides of the gateway.
        using var http = new HttpClient();
        string[] active = [];
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var metrics = await http.GetStringAsync(new Uri(gateway.Address, "/metrics"));
            active = [.. ActiveStreams().Matches(metrics).Select(m => m.Value).Where(line => !line.EndsWith(" 0", StringComparison.Ordinal))];
            if (active.Length == 0)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.Empty(active);
        var reply = await new TestService.TestServiceClient(gateway.Channel).UnaryCallAsync(new SimpleRequest { ResponseSize = 10 }).ResponseAsync.WaitAsync(TestTimeouts.Default);
        Assert.Equal(10, reply.Payload.Body.Length);
    }

    [GeneratedRegex("^ferry_gateway_(endpoint_)?active_streams\\{.*$", RegexOptions.Multiline)]
    private static partial Regex ActiveStreams();
}
