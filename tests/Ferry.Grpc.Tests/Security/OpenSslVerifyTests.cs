using Ferry.Grpc.Security;

namespace Ferry.Grpc.Tests.Security;

public class OpenSslVerifyTests
{
    // -x509_strict is what Python 3.13 turns on by default, so this also covers grpcio clients there.
    [OpenSslFact]
    public async Task OpenSslAcceptsTheServerAndClientCertificates()
    {
        using var directory = new TemporaryDirectory();
        using var bundle = DevelopmentCertificates.Create(["localhost", "127.0.0.1"], TimeSpan.FromDays(1));
        bundle.WritePem(directory.Path);

        var server = await OpenSsl.RunAsync(
            directory.Path, "verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "ca.pem", "server.pem");
        var client = await OpenSsl.RunAsync(
            directory.Path, "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile", "ca.pem", "client.pem");

        Assert.True(server.ExitCode == 0, server.Output);
        Assert.Equal("server.pem: OK", server.Output.Trim());
        Assert.True(client.ExitCode == 0, client.Output);
        Assert.Equal("client.pem: OK", client.Output.Trim());
    }

    [OpenSslFact]
    public async Task OpenSslReadsTheKeysAndTheyMatchTheCertificates()
    {
        using var directory = new TemporaryDirectory();
        using var bundle = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));
        bundle.WritePem(directory.Path);

        foreach (var (cert, key) in new[] { ("ca.pem", "ca-key.pem"), ("server.pem", "server-key.pem"), ("client.pem", "client-key.pem") })
        {
            var fromKey = await OpenSsl.RunAsync(directory.Path, "pkey", "-in", key, "-pubout");
            var fromCert = await OpenSsl.RunAsync(directory.Path, "x509", "-in", cert, "-noout", "-pubkey");

            Assert.True(fromKey.ExitCode == 0, fromKey.Output);
            Assert.True(fromCert.ExitCode == 0, fromCert.Output);
            Assert.Equal(fromCert.Output, fromKey.Output);
        }
    }

    [OpenSslFact]
    public async Task OpenSslReportsAnExpiredServerCertificate()
    {
        using var directory = new TemporaryDirectory();
        using var bundle = DevelopmentCertificates.Create(
            ["localhost"], TimeSpan.FromHours(1), notBefore: DateTimeOffset.UtcNow.AddDays(-2));
        bundle.WritePem(directory.Path);

        var result = await OpenSsl.RunAsync(directory.Path, "verify", "-CAfile", "ca.pem", "server.pem");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("certificate has expired", result.Output);
    }
}
