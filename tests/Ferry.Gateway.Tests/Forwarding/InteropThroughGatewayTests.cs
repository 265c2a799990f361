using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc.Tests.Interop;
using Ferry.Interop;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// The full interop suite through the gateway: Ferry, Python grpcio and Node grpc-js clients against Ferry, grpcio
/// and grpc-js backends, in the security combinations of <see cref="InteropMatrix"/>. Ferry's client runs each case
/// in process; a peer client runs all cases once per row and each case is asserted from its report. Exclusions are
/// those of the direct tests (<see cref="GatewayInteropExpectations"/>).
/// </summary>
public sealed class InteropThroughGatewayTests(GatewayInteropFixture fixture) : IClassFixture<GatewayInteropFixture>
{
    private static readonly TimeSpan s_caseTimeout = TimeSpan.FromSeconds(30);

    public static TheoryData<Implementation, Implementation, TransportSecurity, TransportSecurity, string> FerryClientCases(bool peerBackend)
    {
        var data = new TheoryData<Implementation, Implementation, TransportSecurity, TransportSecurity, string>();
        foreach (var row in InteropMatrix.Rows.Where(r => r.Client == Implementation.Ferry && (r.Backend != Implementation.Ferry) == peerBackend))
        {
            foreach (var testCase in InteropClient.AllCases)
            {
                data.Add(row.Client, row.Backend, row.ClientSide, row.BackendSide, testCase);
            }
        }

        return data;
    }

    public static TheoryData<Implementation, Implementation, TransportSecurity, TransportSecurity> PeerClientRuns
    {
        get
        {
            var data = new TheoryData<Implementation, Implementation, TransportSecurity, TransportSecurity>();
            foreach (var row in InteropMatrix.Rows.Where(r => r.Client != Implementation.Ferry))
            {
                data.Add(row.Client, row.Backend, row.ClientSide, row.BackendSide);
            }

            return data;
        }
    }

    public static TheoryData<Implementation, Implementation, TransportSecurity, TransportSecurity, string> PeerClientCases
    {
        get
        {
            var data = new TheoryData<Implementation, Implementation, TransportSecurity, TransportSecurity, string>();
            foreach (var row in InteropMatrix.Rows.Where(r => r.Client != Implementation.Ferry))
            {
                foreach (var testCase in InteropClient.AllCases)
                {
                    data.Add(row.Client, row.Backend, row.ClientSide, row.BackendSide, testCase);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(FerryClientCases), false)]
    public Task Ferry_client_to_Ferry_backend(Implementation client, Implementation backend, TransportSecurity clientSide, TransportSecurity backendSide, string testCase) =>
        RunFerryClientCaseAsync(new InteropRow(client, backend, clientSide, backendSide), testCase);

    [PeerTheory]
    [MemberData(nameof(FerryClientCases), true)]
    public Task Ferry_client_to_peer_backend(Implementation client, Implementation backend, TransportSecurity clientSide, TransportSecurity backendSide, string testCase) =>
        RunFerryClientCaseAsync(new InteropRow(client, backend, clientSide, backendSide), testCase);

    [PeerTheory]
    [MemberData(nameof(PeerClientCases))]
    public async Task Peer_client(Implementation client, Implementation backend, TransportSecurity clientSide, TransportSecurity backendSide, string testCase)
    {
        var run = await fixture.GetPeerRunAsync(new InteropRow(client, backend, clientSide, backendSide));
        Assert.True(run.Report.Cases.TryGetValue(testCase, out var result), $"The {client} client did not report {testCase}.{Environment.NewLine}{run.Description}");

        if (GatewayInteropExpectations.PeerClientSkipEvidence(client.ToPeer(), backend, testCase) is { } evidence)
        {
            Assert.True(
                result.Outcome == "SKIP" && result.Reason.Contains(evidence, StringComparison.Ordinal),
                $"{testCase} is excluded for {client} -> {backend}, so it must be reported as 'SKIP {testCase}: ...{evidence}...'; " +
                $"it was '{result.Outcome} {testCase}: {result.Reason}'.");
            return;
        }

        Assert.True(
            result.Outcome == "PASS",
            $"The {client} client ({clientSide}) through the gateway to the {backend} backend ({backendSide}) reported " +
            $"'{result.Outcome} {testCase}: {result.Reason}'.{Environment.NewLine}{run.Description}");
    }

    /// <summary>The peer client's run as a whole: every case reported once, the summary adds up, exit code 0.</summary>
    [PeerTheory]
    [MemberData(nameof(PeerClientRuns))]
    public async Task Peer_client_run_follows_the_client_protocol(Implementation client, Implementation backend, TransportSecurity clientSide, TransportSecurity backendSide)
    {
        var run = await fixture.GetPeerRunAsync(new InteropRow(client, backend, clientSide, backendSide));
        Assert.True(run.Report.Problems.Count == 0, string.Join(Environment.NewLine, run.Report.Problems.Append(run.Description)));
        Assert.Equal(InteropClient.AllCases.Order(StringComparer.Ordinal), run.Report.Cases.Keys.Order(StringComparer.Ordinal));
        Assert.True(run.ExitCode == 0, run.Description);
    }

    private async Task RunFerryClientCaseAsync(InteropRow row, string testCase)
    {
        var gateway = await fixture.GetGatewayAsync(row);
        var client = new InteropClient(gateway.Channel.CreateCallInvoker());
        Exception? error = null;
        try
        {
            await client.RunCaseAsync(testCase).WaitAsync(s_caseTimeout);
        }
        catch (Exception ex)
        {
            error = ex;
        }

        var limitation = GatewayInteropExpectations.FerryClientLimitation(row.Backend, testCase);
        if (limitation is null)
        {
            Assert.True(error is null, $"{testCase} through the gateway ({row}) failed: {error}{Environment.NewLine}{gateway.Backend.Describe()}");
            return;
        }

        Assert.True(
            error is not null && error.Message.Contains(limitation.Evidence, StringComparison.Ordinal),
            $"{testCase} against the {row.Backend} backend is excluded ({limitation.Reason}), so it must fail with " +
            $"'{limitation.Evidence}'; " + (error is null ? "it passed: update the exclusions." : $"it failed with: {error}"));
        if (limitation.StillChecked is { } stillChecked)
        {
            await stillChecked(gateway.Channel.CreateCallInvoker()).WaitAsync(s_caseTimeout);
        }
    }
}
