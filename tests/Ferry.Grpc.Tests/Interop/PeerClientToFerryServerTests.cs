using Ferry.Interop;

namespace Ferry.Grpc.Tests.Interop;

/// <summary>
/// The Python (grpcio) and Node (grpc-js) interop clients, as child processes, against Ferry's server in process,
/// in plaintext, TLS and mutual TLS. Each client runs all cases once per security; its output is parsed and each
/// case is asserted as its own test. Cases in <see cref="PeerLimitations"/> must be reported as SKIP with the
/// documented reason; every other case must PASS.
/// </summary>
public sealed class PeerClientToFerryServerTests(PeerClientFixture fixture) : IClassFixture<PeerClientFixture>
{
    public static TheoryData<Peer, TransportSecurity> Runs
    {
        get
        {
            var data = new TheoryData<Peer, TransportSecurity>();
            foreach (var peer in Enum.GetValues<Peer>())
            {
                foreach (var security in Enum.GetValues<TransportSecurity>())
                {
                    data.Add(peer, security);
                }
            }

            return data;
        }
    }

    public static TheoryData<Peer, TransportSecurity, string> Cases
    {
        get
        {
            var data = new TheoryData<Peer, TransportSecurity, string>();
            foreach (var (peer, security) in Runs.Select(row => ((Peer)row[0], (TransportSecurity)row[1])))
            {
                foreach (var testCase in InteropClient.AllCases)
                {
                    data.Add(peer, security, testCase);
                }
            }

            return data;
        }
    }

    [PeerTheory]
    [MemberData(nameof(Cases))]
    public async Task Case(Peer peer, TransportSecurity security, string testCase)
    {
        var run = await fixture.GetRunAsync(peer, security);
        Assert.True(run.Report.Cases.TryGetValue(testCase, out var result), $"The {peer} client did not report {testCase}.{Environment.NewLine}{run.Description}");

        if (PeerLimitations.IsDocumentedSkip(peer, testCase, result))
        {
            return;
        }

        Assert.True(result.Outcome == "PASS", $"The {peer} client ({security}) reported '{result.Outcome} {testCase}: {result.Reason}'.{Environment.NewLine}{run.Description}");
    }

    /// <summary>The run as a whole: every case reported once, the summary adds up, exit code 0.</summary>
    [PeerTheory]
    [MemberData(nameof(Runs))]
    public async Task RunFollowsTheClientProtocol(Peer peer, TransportSecurity security)
    {
        var run = await fixture.GetRunAsync(peer, security);
        Assert.True(run.Report.Problems.Count == 0, string.Join(Environment.NewLine, run.Report.Problems.Append(run.Description)));
        Assert.Equal(InteropClient.AllCases.Order(StringComparer.Ordinal), run.Report.Cases.Keys.Order(StringComparer.Ordinal));
        Assert.True(run.ExitCode == 0, run.Description);
    }
}
