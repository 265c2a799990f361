using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Grpc.Security;

namespace Ferry.Grpc.Tests.Security;

public class PemCertificatesTests
{
    [Fact]
    public void WrittenPemLoadsBackWithKeys()
    {
        using var directory = new TemporaryDirectory();
        using var bundle = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));

        var paths = bundle.WritePem(directory.Path);

        Assert.Equal(
            [
                directory.File(CertificateBundle.CaFileName),
                directory.File(CertificateBundle.CaKeyFileName),
                directory.File(CertificateBundle.ServerFileName),
                directory.File(CertificateBundle.ServerKeyFileName),
                directory.File(CertificateBundle.ClientFileName),
                directory.File(CertificateBundle.ClientKeyFileName),
            ],
            paths);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(directory.File(CertificateBundle.ServerKeyFileName)));

        // Each ends in a newline, so that certificate and key concatenate into one valid file (as HAProxy takes them).
        Assert.All(paths, path => Assert.EndsWith("-----\n", File.ReadAllText(path), StringComparison.Ordinal));

        using var server = PemCertificates.LoadCertificateWithKey(
            directory.File(CertificateBundle.ServerFileName), directory.File(CertificateBundle.ServerKeyFileName));
        using var client = PemCertificates.LoadCertificateWithKey(
            directory.File(CertificateBundle.ClientFileName), directory.File(CertificateBundle.ClientKeyFileName));
        using var ca = PemCertificates.LoadCertificateWithKey(
            directory.File(CertificateBundle.CaFileName), directory.File(CertificateBundle.CaKeyFileName));

        Assert.Equal(bundle.Server.Thumbprint, server.Thumbprint);
        Assert.Equal(bundle.Client.Thumbprint, client.Thumbprint);
        Assert.Equal(bundle.Ca.Thumbprint, ca.Thumbprint);
        Assert.True(server.HasPrivateKey && client.HasPrivateKey && ca.HasPrivateKey);

        // The reloaded key must be the one that signs for the certificate, not only a key that parses.
        using var key = server.GetECDsaPrivateKey()!;
        using var publicKey = bundle.Server.GetECDsaPublicKey()!;
        var signature = key.SignData("ferry"u8, HashAlgorithmName.SHA256);
        Assert.True(publicKey.VerifyData("ferry"u8, signature, HashAlgorithmName.SHA256));
    }

    [Fact]
    public void KeyFilesAreReadableByTheOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var directory = new TemporaryDirectory();
        using var bundle = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));
        var keyPath = directory.File(CertificateBundle.ServerKeyFileName);
        File.WriteAllText(keyPath, "old");
        File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        bundle.WritePem(directory.Path, overwrite: true);

        const UnixFileMode ownerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        foreach (var name in new[] { CertificateBundle.CaKeyFileName, CertificateBundle.ServerKeyFileName, CertificateBundle.ClientKeyFileName })
        {
            Assert.Equal(ownerReadWrite, File.GetUnixFileMode(directory.File(name)));
        }

        Assert.True(File.GetUnixFileMode(directory.File(CertificateBundle.CaFileName)).HasFlag(UnixFileMode.OtherRead));
    }

    [Fact]
    public void WritePemRefusesToOverwriteAndWritesNothing()
    {
        using var directory = new TemporaryDirectory();
        using var bundle = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));
        var clientPath = directory.File(CertificateBundle.ClientFileName);
        File.WriteAllText(clientPath, "keep me");

        var error = Assert.Throws<IOException>(() => bundle.WritePem(directory.Path));

        Assert.Contains(clientPath, error.Message);
        Assert.Equal("keep me", File.ReadAllText(clientPath));
        Assert.Equal([clientPath], Directory.GetFiles(directory.Path));

        bundle.WritePem(directory.Path, overwrite: true);
        Assert.Equal(bundle.Client.ExportCertificatePem() + "\n", File.ReadAllText(clientPath));
    }

    [Fact]
    public void WritePemCreatesTheDirectory()
    {
        using var directory = new TemporaryDirectory();
        using var bundle = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));

        var paths = bundle.WritePem(Path.Combine(directory.Path, "a", "b"));

        Assert.All(paths, path => Assert.True(File.Exists(path)));
    }

    [Fact]
    public void LoadCertificatesReadsEveryCertificateInABundle()
    {
        using var directory = new TemporaryDirectory();
        using var first = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));
        using var second = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));
        var path = directory.File("bundle.pem");
        File.WriteAllText(
            path,
            "comment before\n" + first.Ca.ExportCertificatePem() + "\n" + second.Ca.ExportCertificatePem() + "\n");

        var certificates = PemCertificates.LoadCertificates(path);

        Assert.Equal([first.Ca.Thumbprint, second.Ca.Thumbprint], certificates.Select(c => c.Thumbprint));
        Assert.All(certificates, certificate => Assert.False(certificate.HasPrivateKey));
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }
    }

    [Fact]
    public void LoadsPkcs1AndSec1KeysAndRsaCertificates()
    {
        using var directory = new TemporaryDirectory();
        using var bundle = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));
        using var ecKey = bundle.Server.GetECDsaPrivateKey()!;
        File.WriteAllText(directory.File("server.pem"), bundle.Server.ExportCertificatePem());
        File.WriteAllText(directory.File("server-ec.pem"), ecKey.ExportECPrivateKeyPem());

        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=rsa", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var rsaCertificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(directory.File("rsa.pem"), rsaCertificate.ExportCertificatePem());
        File.WriteAllText(directory.File("rsa-key.pem"), rsa.ExportRSAPrivateKeyPem());

        using var ec = PemCertificates.LoadCertificateWithKey(directory.File("server.pem"), directory.File("server-ec.pem"));
        using var loadedRsa = PemCertificates.LoadCertificateWithKey(directory.File("rsa.pem"), directory.File("rsa-key.pem"));

        Assert.True(ec.HasPrivateKey);
        Assert.True(loadedRsa.HasPrivateKey);
        Assert.Equal(rsaCertificate.Thumbprint, loadedRsa.Thumbprint);
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        using var directory = new TemporaryDirectory();
        var missing = directory.File("nope.pem");

        var error = Assert.Throws<CertificateLoadException>(() => PemCertificates.LoadCertificates(missing));

        Assert.Equal(missing, error.FilePath);
        Assert.Contains($"'{missing}' does not exist", error.Message);
        Assert.IsType<FileNotFoundException>(error.InnerException);
    }

    [Fact]
    public void FileWithoutCertificateSaysSo()
    {
        using var directory = new TemporaryDirectory();
        var path = directory.File("empty.pem");
        File.WriteAllText(path, "not pem at all");

        var error = Assert.Throws<CertificateLoadException>(() => PemCertificates.LoadCertificates(path));

        Assert.Equal($"File '{path}' does not contain a PEM certificate.", error.Message);
    }

    [Fact]
    public void SwappedCertificateAndKeyPathsAreNamed()
    {
        using var directory = new TemporaryDirectory();
        using var bundle = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));
        bundle.WritePem(directory.Path);
        var cert = directory.File(CertificateBundle.ServerFileName);
        var key = directory.File(CertificateBundle.ServerKeyFileName);

        var error = Assert.Throws<CertificateLoadException>(() => PemCertificates.LoadCertificateWithKey(key, cert));

        Assert.Equal(key, error.FilePath);
        Assert.Contains("contains a private key, not a certificate", error.Message);
    }

    [Fact]
    public void KeyOfAnotherCertificateDoesNotMatch()
    {
        using var directory = new TemporaryDirectory();
        using var bundle = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));
        bundle.WritePem(directory.Path);
        var cert = directory.File(CertificateBundle.ServerFileName);
        var key = directory.File(CertificateBundle.ClientKeyFileName);

        var error = Assert.Throws<CertificateLoadException>(() => PemCertificates.LoadCertificateWithKey(cert, key));

        Assert.Equal(key, error.FilePath);
        Assert.Equal($"The private key in file '{key}' does not match the certificate in file '{cert}'.", error.Message);
    }

    [Fact]
    public void KeyOfAnotherAlgorithmDoesNotMatch()
    {
        using var directory = new TemporaryDirectory();
        using var bundle = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));
        using var rsa = RSA.Create(2048);
        var cert = directory.File("server.pem");
        File.WriteAllText(cert, bundle.Server.ExportCertificatePem());

        foreach (var keyPem in new[] { rsa.ExportPkcs8PrivateKeyPem(), rsa.ExportRSAPrivateKeyPem() })
        {
            var key = directory.File("rsa-key.pem");
            File.WriteAllText(key, keyPem);

            var error = Assert.Throws<CertificateLoadException>(() => PemCertificates.LoadCertificateWithKey(cert, key));

            Assert.Equal(key, error.FilePath);
            Assert.Contains("does not match the certificate", error.Message);
            Assert.Contains("needs an ECDSA key", error.Message);
        }
    }

    [Fact]
    public void EncryptedKeyIsReported()
    {
        using var directory = new TemporaryDirectory();
        using var bundle = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));
        using var ecKey = bundle.Server.GetECDsaPrivateKey()!;
        var cert = directory.File("server.pem");
        var key = directory.File("server-key.pem");
        File.WriteAllText(cert, bundle.Server.ExportCertificatePem());
        File.WriteAllText(
            key,
            ecKey.ExportEncryptedPkcs8PrivateKeyPem(
                "secret", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000)));

        var error = Assert.Throws<CertificateLoadException>(() => PemCertificates.LoadCertificateWithKey(cert, key));

        Assert.Contains("is encrypted", error.Message);
    }

    [Fact]
    public void DamagedCertificateIsReported()
    {
        using var directory = new TemporaryDirectory();
        var path = directory.File("bad.pem");
        File.WriteAllText(path, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

        var error = Assert.Throws<CertificateLoadException>(() => PemCertificates.LoadCertificates(path));

        Assert.Contains("damaged", error.Message);
        Assert.IsAssignableFrom<CryptographicException>(error.InnerException);
    }
}
