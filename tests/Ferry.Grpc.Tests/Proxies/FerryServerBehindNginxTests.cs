using Ferry.Grpc.Tests.Interop;
using Ferry.Interop;

namespace Ferry.Grpc.Tests.Proxies;

/// <summary>
/// The interop suite through nginx (<c>grpc_pass</c>) to Ferry's server: Ferry's client in process, and the Python
/// (grpcio) and Node (grpc-js) clients as child processes, in plaintext and with TLS on both of nginx's sides. nginx
/// is the L7 proxy most often put in front of gRPC services; it decodes and re-encodes every header block, frames
/// DATA its own way and turns client resets into upstream resets, so Ferry's server must answer in the forms nginx
/// passes on (trailers-only responses, status in trailers) and Ferry's client must read what nginx sends back.
/// Cases are asserted as directly against Ferry's server: every case passes, or is the peer's documented SKIP.
/// </summary>
public sealed class FerryServerBehindNginxTests(NginxFrontedServerFixture fixture) : IClassFixture<NginxFrontedServerFixture>
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
        var fronted = await fixture.GetAsync(security);
        var client = new InteropClient(fronted.Channel.CreateCallInvoker());
        Exception? error = null;
        try
        {
            await client.RunCaseAsync(testCase).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception ex)
        {
            error = ex;
        }

        Assert.True(error is null, $"{testCase} through nginx ({security}) failed: {error}{Environment.NewLine}{fronted.Nginx.Describe()}");
    }

    [NginxPeerTheory]
    [MemberData(nameof(PeerCases))]
    public async Task Peer_client(Peer peer, TransportSecurity security, string testCase)
    {
        var run = await fixture.GetPeerRunAsync(peer, security);
        Assert.True(run.Report.Cases.TryGetValue(testCase, out var result), $"The {peer} client did not report {testCase}.{Environment.NewLine}{run.Description}");
        if (PeerLimitations.Find(peer, Direction.PeerClientToFerryServer, testCase) is { } limitation)
        {
            Assert.True(
                result.Outcome == "SKIP" && result.Reason.Contains(limitation.Evidence, StringComparison.Ordinal),
                $"{testCase} is excluded for the {peer} client ({limitation.Reason}), so it must be reported as " +
                $"'SKIP {testCase}: ...{limitation.Evidence}...'; it was '{result.Outcome} {testCase}: {result.Reason}'.");
            return;
        }

        Assert.True(result.Outcome == "PASS", $"The {peer} client through nginx ({security}) reported '{result.Outcome} {testCase}: {result.Reason}'.{Environment.NewLine}{run.Description}");
    }
}
