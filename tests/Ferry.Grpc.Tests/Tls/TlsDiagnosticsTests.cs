using Ferry.Grpc.AspNetCore.Hosting;
using Ferry.Grpc.Client;
using Ferry.Grpc.Security;
using Ferry.Grpc.Testing;
using Ferry.Interop;
using Grpc.Testing;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Ferry.Grpc.Tests.Tls;

/// <summary>
/// A Ferry client that cannot complete TLS with a Ferry server over loopback gets UNAVAILABLE with a detail that
/// says, in plain words, what is wrong and what to change.
/// </summary>
public sealed class TlsDiagnosticsTests(TestCertificates certificates, ITestOutputHelper output) : IClassFixture<TestCertificates>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task UnknownAuthorityNamesTheIssuerAndTheTrustSetting()
    {
        using var other = DevelopmentCertificates.Create(["localhost", "127.0.0.1"], TimeSpan.FromDays(1));
        var detail = await FailedCallDetailAsync(
            certificates.ServerTls(),
            new ClientTlsOptions { TrustedCertificates = [other.Ca] });

        Assert.Contains("unknown authority", detail);
        Assert.Contains(certificates.Server.Issuer, detail);
        Assert.Contains("the configured CA certificates", detail);
        Assert.Contains("ClientTlsOptions.TrustedCertificates", detail);

        // Both development CAs have the same name, as after `ferry certs` ran again: the detail must say so.
        Assert.Equal(certificates.Server.Issuer, other.Ca.Subject);
        Assert.Contains("another CA of the same name", detail);
    }

    [Fact]
    public async Task NameNotOnTheCertificateNamesTheExpectedAndTheCertifiedNames()
    {
        var detail = await FailedCallDetailAsync(
            certificates.ServerTls(),
            certificates.ClientTls(serverNameOverride: "api.example.com"));

        Assert.Contains("not valid for the name 'api.example.com'", detail);
        Assert.Contains("localhost, 127.0.0.1, ::1", detail);
        Assert.Contains("ClientTlsOptions.ServerNameOverride", detail);
    }

    [Fact]
    public async Task AddressNotOnTheCertificateIsReportedAsTheNameUsed()
    {
        using var localhostOnly = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));
        var detail = await FailedCallDetailAsync(
            new ServerTlsOptions { Certificate = localhostOnly.Server },
            new ClientTlsOptions { TrustedCertificates = [localhostOnly.Ca] });

        Assert.Contains("not valid for the name '127.0.0.1'", detail);
        Assert.Contains("it names localhost", detail);
    }

    [Fact]
    public async Task ExpiredServerCertificateGivesItsValidityAndSaysToRenewIt()
    {
        using var expired = DevelopmentCertificates.Create(
            ["localhost", "127.0.0.1"], TimeSpan.FromHours(1), notBefore: DateTimeOffset.UtcNow.AddDays(-2));
        var detail = await FailedCallDetailAsync(
            new ServerTlsOptions { Certificate = expired.Server },
            new ClientTlsOptions { TrustedCertificates = [expired.Ca] });

        Assert.Contains("the server certificate (CN=localhost) has expired", detail);
        Assert.Contains($"valid {expired.Server.NotBefore.ToUniversalTime():u} to {expired.Server.NotAfter.ToUniversalTime():u}", detail);
        Assert.Contains("renew it on the server", detail);
    }

    [Fact]
    public async Task NotYetValidServerCertificateSaysToCheckTheClocks()
    {
        using var early = DevelopmentCertificates.Create(
            ["localhost", "127.0.0.1"], TimeSpan.FromDays(1), notBefore: DateTimeOffset.UtcNow.AddDays(2));
        var detail = await FailedCallDetailAsync(
            new ServerTlsOptions { Certificate = early.Server },
            new ClientTlsOptions { TrustedCertificates = [early.Ca] });

        Assert.Contains("the server certificate (CN=localhost) is not valid yet", detail);
        Assert.Contains("check the clocks", detail);
    }

    /// <summary>
    /// A .NET server checks the client certificate after the TLS handshake (with TLS 1.3 the client has finished
    /// its side by then anyway), so the client only sees the connection close; the detail must still explain it.
    /// </summary>
    [Fact]
    public async Task MissingClientCertificateSaysTheServerRequiresMutualTls()
    {
        var detail = await FailedCallDetailAsync(
            certificates.ServerTls(requireClientCertificate: true),
            certificates.ClientTls());

        Assert.Contains("requires mutual TLS", detail);
        Assert.Contains("ClientTlsOptions.ClientCertificate", detail);
    }

    [Fact]
    public async Task ClientCertificateFromAnUntrustedCaNamesItsIssuer()
    {
        using var other = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));
        using var serverLog = new WarningCapture("Ferry.Grpc.Tls");
        var detail = await FailedCallDetailAsync(
            certificates.ServerTls(requireClientCertificate: true),
            certificates.ClientTls() with { ClientCertificate = other.Client },
            serverLog);

        Assert.Contains($"This client presented {other.Client.Subject}, issued by {other.Client.Issuer}", detail);
        Assert.Contains("does not trust that issuer", detail);
        Assert.Contains("--client_ca", detail);

        // The client cannot learn the server's reason; the server's log has it.
        Assert.Equal(
            $"Rejected client certificate '{other.Client.Subject}': it was issued by '{other.Client.Issuer}', which is not one of the configured client CAs.",
            await serverLog.FirstAsync(s_timeout));
    }

    /// <summary>Makes one call that must fail to set up TLS; returns the status detail after checking UNAVAILABLE.</summary>
    private async Task<string> FailedCallDetailAsync(ServerTlsOptions serverTls, ClientTlsOptions clientTls, WarningCapture? serverLog = null)
    {
        await using var server = await GrpcTestServer.StartAsync(s => s
            .AddService<TestServiceImpl>()
            .UseTls(serverTls)
            .WithLogging(logging =>
            {
                if (serverLog is not null)
                {
                    logging.AddProvider(serverLog);
                }
            })).WaitAsync(s_timeout);
        using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { Tls = clientTls });
        var client = new TestService.TestServiceClient(channel.CreateCallInvoker());

        var error = await Assert.ThrowsAsync<RpcException>(() => client.EmptyCallAsync(new Empty()).ResponseAsync.WaitAsync(s_timeout));

        output.WriteLine(error.Status.Detail);
        Assert.True(error.StatusCode == StatusCode.Unavailable, $"Expected UNAVAILABLE, got {error.Status}.");
        Assert.StartsWith($"TLS handshake with {server.Address.Authority} failed: ", error.Status.Detail);
        return error.Status.Detail;
    }
}
