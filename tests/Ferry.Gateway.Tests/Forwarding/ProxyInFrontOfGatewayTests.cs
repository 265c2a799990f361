using Ferry.Grpc.Tests.Interop;
using Ferry.Grpc.Tests.Proxies;
using Ferry.Interop;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// The interop suite with nginx (<c>grpc_pass</c>) or HAProxy (<c>proto h2</c>) in front of the gateway, as an edge
/// proxy or ingress is put in front of a gRPC gateway: Ferry's client in process, and the Python (grpcio) and Node
/// (grpc-js) clients as child processes, in plaintext and with TLS on both of the proxy's sides. The gateway then
/// serves the proxy's HTTP/2 client (its own HPACK, DATA framing, window updates and resets), not only gRPC
/// libraries. Every case passes or is the peer's documented SKIP, as against Ferry's server directly.
/// </summary>
public sealed class ProxyInFrontOfGatewayTests(ProxyFrontedGatewayFixture fixture) : IClassFixture<ProxyFrontedGatewayFixture>
{
    [ProxyTheory]
    [MemberData(nameof(ProxyCases.FerryClient), MemberType = typeof(ProxyCases))]
    public async Task Ferry_client(ProxyKind proxy, TransportSecurity security, string testCase)
    {
        var chain = await fixture.GetAsync(proxy, security);
        var client = new InteropClient(chain.Channel.CreateCallInvoker());
        var error = await Record.ExceptionAsync(() => client.RunCaseAsync(testCase).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.True(error is null, $"{testCase} through {proxy} and the gateway ({security}) failed: {error}{Environment.NewLine}{chain.Proxy.Describe()}");
    }

    [ProxyPeerTheory]
    [MemberData(nameof(ProxyCases.PeerClients), MemberType = typeof(ProxyCases))]
    public async Task Peer_client(Peer peer, ProxyKind proxy, TransportSecurity security, string testCase)
    {
        var run = await fixture.GetPeerRunAsync(peer, proxy, security);
        Assert.True(run.Report.Cases.TryGetValue(testCase, out var result), $"The {peer} client did not report {testCase}.{Environment.NewLine}{run.Description}");
        if (GatewayInteropExpectations.PeerClientSkipEvidence(peer, Implementation.Ferry, testCase) is { } evidence)
        {
            Assert.True(
                result.Outcome == "SKIP" && result.Reason.Contains(evidence, StringComparison.Ordinal),
                $"{testCase} is excluded for the {peer} client, so it must be reported as 'SKIP {testCase}: ...{evidence}...'; " +
                $"it was '{result.Outcome} {testCase}: {result.Reason}'.");
            return;
        }

        Assert.True(result.Outcome == "PASS", $"The {peer} client through {proxy} and the gateway ({security}) reported '{result.Outcome} {testCase}: {result.Reason}'.{Environment.NewLine}{run.Description}");
    }
}
