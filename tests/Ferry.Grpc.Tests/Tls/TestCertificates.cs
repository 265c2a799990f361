using System.Security.Cryptography.X509Certificates;
using Ferry.Grpc.AspNetCore.Hosting;
using Ferry.Grpc.Client;
using Ferry.Grpc.Security;
using Ferry.Grpc.Tests.Security;

namespace Ferry.Grpc.Tests.Tls;

/// <summary>
/// A development CA with server and client certificates, written as PEM files (as <c>ferry certs</c> writes them)
/// to a temporary directory once per test class and deleted afterwards. The server certificate names
/// <c>localhost</c>, <c>127.0.0.1</c> and <c>::1</c>. Ferry's side loads its certificates back from those files,
/// so the files the peers read are the ones Ferry is tested with.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public TestCertificates()
    {
        using (var bundle = DevelopmentCertificates.Create(["localhost", "127.0.0.1", "::1"], TimeSpan.FromDays(1)))
        {
            bundle.WritePem(_directory.Path);
        }

        Ca = PemCertificates.LoadCertificates(CaFile);
        Server = PemCertificates.LoadCertificateWithKey(ServerFile, ServerKeyFile);
        Client = PemCertificates.LoadCertificateWithKey(ClientFile, ClientKeyFile);
    }

    public string CaFile => _directory.File(CertificateBundle.CaFileName);

    public string ServerFile => _directory.File(CertificateBundle.ServerFileName);

    public string ServerKeyFile => _directory.File(CertificateBundle.ServerKeyFileName);

    public string ClientFile => _directory.File(CertificateBundle.ClientFileName);

    public string ClientKeyFile => _directory.File(CertificateBundle.ClientKeyFileName);

    public X509Certificate2Collection Ca { get; }

    public X509Certificate2 Server { get; }

    public X509Certificate2 Client { get; }

    /// <summary>Server TLS with this bundle's certificate; with <paramref name="requireClientCertificate"/>, mutual TLS trusting its CA.</summary>
    public ServerTlsOptions ServerTls(bool requireClientCertificate = false) => new()
    {
        Certificate = Server,
        ClientCertificateAuthorities = requireClientCertificate ? Ca : null,
    };

    /// <summary>Client TLS trusting this bundle's CA, optionally presenting its client certificate.</summary>
    public ClientTlsOptions ClientTls(bool presentClientCertificate = false, string? serverNameOverride = null) => new()
    {
        TrustedCertificates = Ca,
        ClientCertificate = presentClientCertificate ? Client : null,
        ServerNameOverride = serverNameOverride,
    };

    public void Dispose()
    {
        Server.Dispose();
        Client.Dispose();
        foreach (var certificate in Ca)
        {
            certificate.Dispose();
        }

        _directory.Dispose();
    }
}
