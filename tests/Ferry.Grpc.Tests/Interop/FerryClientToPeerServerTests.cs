using Ferry.Grpc.Client;
using Ferry.Grpc.Security;
using Ferry.Interop;
using Grpc.Testing;

namespace Ferry.Grpc.Tests.Interop;

/// <summary>
/// Ferry's interop client, in process, against the Python (grpcio) and Node (grpc-js) interop servers, in
/// plaintext, TLS and mutual TLS: one test per peer, security and case. Cases in <see cref="PeerLimitations"/>
/// must fail with the documented evidence; every other case must pass.
/// </summary>
public sealed class FerryClientToPeerServerTests(PeerServerFixture servers) : IClassFixture<PeerServerFixture>
{
    private static readonly TimeSpan s_caseTimeout = TimeSpan.FromSeconds(30);

    public static TheoryData<Peer, TransportSecurity, string> Cases
    {
        get
        {
            var data = new TheoryData<Peer, TransportSecurity, string>();
            foreach (var peer in Enum.GetValues<Peer>())
            {
                foreach (var security in Enum.GetValues<TransportSecurity>())
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

    [PeerTheory]
    [MemberData(nameof(Cases))]
    public async Task Case(Peer peer, TransportSecurity security, string testCase)
    {
        var (channel, server) = await servers.GetAsync(peer, security);
        var client = new InteropClient(channel.CreateCallInvoker());
        var run = client.RunCaseAsync(testCase).WaitAsync(s_caseTimeout);

        var limitation = PeerLimitations.Find(peer, Direction.FerryClientToPeerServer, testCase);
        Exception? error = null;
        try
        {
            await run;
        }
        catch (Exception ex)
        {
            error = ex;
        }

        if (limitation is null)
        {
            Assert.True(error is null, $"{testCase} against the {peer} server ({security}) failed: {error}{Environment.NewLine}{server.Describe()}");
            return;
        }

        Assert.True(
            error is not null && error.Message.Contains(limitation.Evidence, StringComparison.Ordinal),
            $"{testCase} against the {peer} server is excluded ({limitation.Reason}), so it must fail with " +
            $"'{limitation.Evidence}'; " + (error is null ? "it passed: update PeerLimitations." : $"it failed with: {error}"));
        if (limitation.StillChecked is { } stillChecked)
        {
            await stillChecked(channel.CreateCallInvoker()).WaitAsync(s_caseTimeout);
        }
    }

    /// <summary>
    /// A peer's mutual-TLS server refuses a Ferry client without a client certificate, or with one from another CA;
    /// the status explains it as it does against Ferry's own server (see Tls/TlsDiagnosticsTests).
    /// </summary>
    [PeerTheory]
    [InlineData(Peer.Python, false)]
    [InlineData(Peer.Python, true)]
    [InlineData(Peer.Node, false)]
    [InlineData(Peer.Node, true)]
    public async Task MutualTlsRefusalIsExplained(Peer peer, bool untrustedCertificate)
    {
        var (mutual, _) = await servers.GetAsync(peer, TransportSecurity.MutualTls);
        using var other = untrustedCertificate ? DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1)) : null;
        using var channel = GrpcChannel.ForAddress(mutual.Address, new GrpcChannelOptions
        {
            Tls = servers.Certificates.ClientTls(serverNameOverride: "localhost") with { ClientCertificate = other?.Client },
        });
        var client = new TestService.TestServiceClient(channel.CreateCallInvoker());

        var error = await Assert.ThrowsAsync<RpcException>(() => client.EmptyCallAsync(new Empty()).ResponseAsync.WaitAsync(s_caseTimeout));

        Assert.True(error.StatusCode == StatusCode.Unavailable, error.Status.ToString());
        Assert.StartsWith($"TLS handshake with {mutual.Address.Authority} failed: ", error.Status.Detail);
        Assert.Contains(untrustedCertificate ? "does not trust that issuer" : "requires mutual TLS", error.Status.Detail);
    }
}
