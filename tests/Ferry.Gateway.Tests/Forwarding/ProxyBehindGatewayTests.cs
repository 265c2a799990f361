using Ferry.Gateway.Config;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Ferry.Grpc.Testing;
using Ferry.Grpc.Tests.Proxies;
using Ferry.Interop;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// A proxy between the gateway and its backends, as when the backends sit behind an ingress: the gateway's HTTP/2
/// client against nginx's and HAProxy's servers. nginx also limits the calls per connection and closes idle
/// connections, each time with a GOAWAY: a gateway that sent calls on a connection nginx is closing, or resent calls
/// nginx had taken, would fail or repeat them; every call must succeed exactly once.
/// </summary>
public sealed class ProxyBehindGatewayTests
{
    private const int MaxMessageSize = 16 * 1024 * 1024;

    public static TheoryData<ProxyKind, string> Cases
    {
        get
        {
            var data = new TheoryData<ProxyKind, string>();
            foreach (var kind in Enum.GetValues<ProxyKind>())
            {
                foreach (var testCase in InteropClient.AllCases)
                {
                    data.Add(kind, testCase);
                }
            }

            return data;
        }
    }

    [ProxyTheory]
    [MemberData(nameof(Cases))]
    public async Task Interop_case_through_the_gateway_and_a_proxy(ProxyKind proxy, string testCase)
    {
        await using var backend = await GrpcTestServer.StartAsync(s => s.AddService<TestServiceImpl>().WithGrpcOptions(o => o.MaxReceiveMessageSize = MaxMessageSize));
        await using var front = await GrpcProxies.StartAsync(proxy, new ProxySite { UpstreamPort = backend.Address.Port });
        await using var gateway = await TestGateway.StartAsync(Cluster(front));
        var channel = gateway.CreateChannel(new Ferry.Grpc.Client.GrpcChannelOptions { MaxReceiveMessageSize = MaxMessageSize });

        var error = await Record.ExceptionAsync(() => new InteropClient(channel.CreateCallInvoker()).RunCaseAsync(testCase).WaitAsync(TestTimeouts.Default));

        Assert.True(error is null, $"{testCase} through the gateway and {proxy} failed: {error}{Environment.NewLine}{front.Describe()}");
    }

    [NginxFact]
    public async Task Calls_carry_on_while_nginx_closes_connections_at_its_request_limit()
    {
        const int Calls = 400;
        await using var backend = await TestBackend.StartAsync("b");
        // Ten calls per connection and eight at a time: nginx sends a GOAWAY every ten calls, with more waiting.
        await using var nginx = await NginxProxy.StartAsync(new NginxSite { UpstreamPort = backend.Server.Address.Port, KeepAliveRequests = 10, MaxConcurrentStreams = 8 });
        await using var gateway = await TestGateway.StartAsync(Cluster(nginx));

        // A stream open across all of those connections' ends: each GOAWAY lets it finish.
        using var duplex = gateway.Client.Duplex();
        using var stop = new CancellationTokenSource();
        var echoes = EchoUntilStoppedAsync(duplex, stop.Token);

        var failures = new List<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Calls), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            try
            {
                var reply = await gateway.Client.UnaryAsync(new ProbeRequest { Sequence = i }).ResponseAsync.WaitAsync(TestTimeouts.Default);
                Assert.Equal(i, reply.Sequence);
            }
            catch (Exception ex)
            {
                lock (failures)
                {
                    failures.Add($"call {i}: {ex.Message}");
                }
            }
        });
        stop.Cancel();
        var echoed = await echoes.WaitAsync(TestTimeouts.Default);
        await duplex.RequestStream.CompleteAsync();
        Assert.False(await duplex.ResponseStream.MoveNext(CancellationToken.None));

        Assert.True(failures.Count == 0, $"{failures.Count} of {Calls} calls failed:{Environment.NewLine}{string.Join(Environment.NewLine, failures.Take(10))}{Environment.NewLine}{nginx.Describe()}");
        Assert.Equal(StatusCode.OK, duplex.GetStatus().StatusCode);
        Assert.True(echoed > 0);
        Assert.Equal(Calls + 1, backend.Probe.Requests);
        var accepted = await nginx.AcceptedConnectionsAsync();
        Assert.True(accepted >= (Calls / 10) + 1, $"nginx accepted {accepted} connections; {Calls} calls at 10 per connection need at least {(Calls / 10) + 1}.");
    }

    [NginxFact]
    public async Task A_call_after_nginx_closed_an_idle_connection_succeeds()
    {
        const int Calls = 24;
        await using var backend = await TestBackend.StartAsync("b");
        await using var nginx = await NginxProxy.StartAsync(new NginxSite { UpstreamPort = backend.Server.Address.Port, KeepAliveTimeout = TimeSpan.FromMilliseconds(200) });
        await using var gateway = await TestGateway.StartAsync(Cluster(nginx));

        // Pauses from just under to well over nginx's idle timeout, so some calls leave as nginx closes the connection.
        for (var i = 0; i < Calls; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(150 + (5 * i)));
            var reply = await gateway.Client.UnaryAsync(new ProbeRequest { Sequence = i }).ResponseAsync.WaitAsync(TestTimeouts.Default);
            Assert.Equal(i, reply.Sequence);
        }

        Assert.Equal(Calls, backend.Probe.Requests);
        var accepted = await nginx.AcceptedConnectionsAsync();
        Assert.True(accepted >= Calls / 2, $"nginx accepted {accepted} connections: it did not close idle ones as configured.{Environment.NewLine}{nginx.Describe()}");
    }

    private static ClusterConfig Cluster(IGrpcProxy proxy) =>
        GatewayConfigs.Cluster("behind-proxy", [new EndpointConfig { Address = $"127.0.0.1:{proxy.Port}" }]);

    private static async Task<int> EchoUntilStoppedAsync(AsyncDuplexStreamingCall<ProbeRequest, ProbeReply> call, CancellationToken stop)
    {
        var sequence = 0;
        while (!stop.IsCancellationRequested)
        {
            await call.RequestStream.WriteAsync(new ProbeRequest { Sequence = sequence });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(sequence, call.ResponseStream.Current.Sequence);
            sequence++;
            await Task.Delay(10, CancellationToken.None);
        }

        return sequence;
    }
}
