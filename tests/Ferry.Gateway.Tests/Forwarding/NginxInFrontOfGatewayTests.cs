using Ferry.Grpc.Tests.Interop;
using Ferry.Grpc.Tests.Proxies;
using Ferry.Interop;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// The interop suite with nginx (<c>grpc_pass</c>) in front of the gateway, as an edge proxy or ingress is put in
/// front of a gRPC gateway: Ferry's client in process, and the Python (grpcio) and Node (grpc-js) clients as child
/// processes, in plaintext and with TLS on both of nginx's sides. The gateway then serves nginx's HTTP/2 client (its
/// own HPACK, DATA framing, window updates and resets), not only gRPC libraries. Every case passes or is the peer's
/// documented SKIP, as against Ferry's server directly.
/// </summary>
public sealed class NginxInFrontOfGatewayTests(NginxFrontedGatewayFixture fixture) : IClassFixture<NginxFrontedGatewayFixture>
{
    private static readonly TransportSecurity[] s_securities = [TransportSecurity.Plaintext, TransportSecurity.Tls];

    public static TheoryData<TransportSecurity, string> FerryCases
    {
        get
        {
            var data = new TheoryData<TransportSecurity, string>();
            foreach (var security in s_securities)
            {
                foreach (var testCase in InteropClient.AllCases)
                {
                    data.Add(security, testCase);
                }
            }

            return data;
        }
    }

    public static TheoryData<Peer, TransportSecurity, string> PeerCases
    {
        get
        {
            var data = new TheoryData<Peer, TransportSecurity, string>();
            foreach (var peer in Enum.GetValues<Peer>())
            {
                foreach (var security in s_securities)
                {
                    foreach (var testCase in InteropClient.AllCases)
                    {
                        data.Add(peer, security, testCase);
                    }
                }
            }

            return data;
        }
    }

    [NginxTheory]
    [MemberData(nameof(FerryCases))]
    public async Task Ferry_client(TransportSecurity security, string testCase)
    {
        var chain = await fixture.GetAsync(security);
        var client = new InteropClient(chain.Channel.CreateCallInvoker());
        Exception? error = null;
        try
        {
            await client.RunCaseAsync(testCase).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception ex)
        {
            error = ex;
        }

        Assert.True(error is null, $"{testCase} through nginx and the gateway ({security}) failed: {error}{Environment.NewLine}{chain.Nginx.Describe()}");
    }

    [NginxPeerTheory]
    [MemberData(nameof(PeerCases))]
    public async Task Peer_client(Peer peer, TransportSecurity security, string testCase)
    {
        var run = await fixture.GetPeerRunAsync(peer, security);
        Assert.True(run.Report.Cases.TryGetValue(testCase, out var result), $"The {peer} client did not report {testCase}.{Environment.NewLine}{run.Description}");
        if (GatewayInteropExpectations.PeerClientSkipEvidence(peer, Implementation.Ferry, testCase) is { } evidence)
        {
            Assert.True(
                result.Outcome == "SKIP" && result.Reason.Contains(evidence, StringComparison.Ordinal),
                $"{testCase} is excluded for the {peer} client, so it must be reported as 'SKIP {testCase}: ...{evidence}...'; " +
                $"it was '{result.Outcome} {testCase}: {result.Reason}'.");
            return;
        }

        Assert.True(result.Outcome == "PASS", $"The {peer} client through nginx and the gateway ({security}) reported '{result.Outcome} {testCase}: {result.Reason}'.{Environment.NewLine}{run.Description}");
    }
}
