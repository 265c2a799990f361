using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Grpc.Security;

/// <summary>
/// Loads PEM certificates and keys for TLS. The PEM blocks are read here rather than through
/// <see cref="X509Certificate2.CreateFromPemFile(string, string?)"/> so that every failure can say which
/// file is wrong and how (no certificate, an encrypted key, the key of another certificate) instead of
/// surfacing a bare <see cref="CryptographicException"/>.
/// </summary>
public static class PemCertificates
{
    private const string CertificateLabel = "CERTIFICATE";
    private const string Pkcs8KeyLabel = "PRIVATE KEY";
    private const string EcKeyLabel = "EC PRIVATE KEY";
    private const string RsaKeyLabel = "RSA PRIVATE KEY";
    private const string EncryptedKeyLabel = "ENCRYPTED PRIVATE KEY";
    private const string EcKeyOid = "1.2.840.10045.2.1";
    private const string RsaKeyOid = "1.2.840.113549.1.1.1";

    /// <summary>
    /// Loads a certificate and its private key, ready to be a <c>SslStream</c> server or client
    /// certificate. The key may be PKCS#8, SEC 1 (<c>EC PRIVATE KEY</c>) or PKCS#1 (<c>RSA PRIVATE KEY</c>).
    /// When the certificate file holds a chain, its first certificate is the one loaded.
    /// </summary>
    /// <exception cref="CertificateLoadException">A file is missing or unreadable, holds no certificate or
    /// key, or the key belongs to another certificate.</exception>
    public static X509Certificate2 LoadCertificateWithKey(string certPemPath, string keyPemPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(certPemPath);
        ArgumentException.ThrowIfNullOrEmpty(keyPemPath);

        var certBlocks = ReadPemFile(certPemPath, "certificate");
        var keyBlocks = ReadPemFile(keyPemPath, "private key");

        var certDer = certBlocks.FirstOrDefault(block => block.Label == CertificateLabel).Data
            ?? throw NoCertificate(certBlocks, certPemPath);
        using var certificate = ParseCertificate(certDer, certPemPath);
        using var key = ImportPrivateKey(certificate, certPemPath, keyBlocks, keyPemPath);

        // Compared here because CopyWithPrivateKey reports a mismatch only as an ArgumentException.
        if (!certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan()
                .SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            throw new CertificateLoadException(
                $"The private key in file '{keyPemPath}' does not match the certificate in file '{certPemPath}'.",
                keyPemPath);
        }

        using var withKey = key is ECDsa ecdsa
            ? certificate.CopyWithPrivateKey(ecdsa)
            : certificate.CopyWithPrivateKey((RSA)key);
        return MakeUsableBySslStream(withKey);
    }

    /// <summary>
    /// Loads every certificate in a PEM file, such as a CA bundle. Other PEM blocks (keys, parameters) are
    /// skipped so that a combined file can be used as it is.
    /// </summary>
    /// <exception cref="CertificateLoadException">The file is missing or unreadable, or holds no
    /// certificate.</exception>
    public static X509Certificate2Collection LoadCertificates(string pemPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(pemPath);

        var blocks = ReadPemFile(pemPath, "certificate");
        var certificates = new X509Certificate2Collection();
        try
        {
            foreach (var (label, data) in blocks)
            {
                if (label == CertificateLabel)
                {
                    certificates.Add(ParseCertificate(data, pemPath));
                }
            }
        }
        catch (CertificateLoadException)
        {
            foreach (var certificate in certificates)
            {
                certificate.Dispose();
            }

            throw;
        }

        return certificates.Count > 0 ? certificates : throw NoCertificate(blocks, pemPath);
    }

    /// <summary>
    /// Returns a copy of <paramref name="certificate"/> whose private key SChannel can use. Keys created
    /// or imported in memory are ephemeral, and SChannel on Windows refuses ephemeral keys for TLS
    /// (dotnet/runtime#23749); a PKCS#12 round trip stores the key. OpenSSL on Linux and macOS uses an
    /// in-memory key as it is, so there the certificate is only copied.
    /// </summary>
    internal static X509Certificate2 MakeUsableBySslStream(X509Certificate2 certificate)
    {
        if (!OperatingSystem.IsWindows())
        {
            return new X509Certificate2(certificate);
        }

        // Exportable so that a development bundle can still write its keys as PEM afterwards.
        return X509CertificateLoader.LoadPkcs12(
            certificate.Export(X509ContentType.Pkcs12), password: null, X509KeyStorageFlags.Exportable);
    }

    private static List<(string Label, byte[] Data)> ReadPemFile(string path, string expected)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CertificateLoadException($"The {expected} file '{path}' does not exist.", path, ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CertificateLoadException(
                $"The {expected} file '{path}' cannot be read: permission denied.", path, ex);
        }
        catch (IOException ex)
        {
            throw new CertificateLoadException($"The {expected} file '{path}' cannot be read: {ex.Message}", path, ex);
        }

        var blocks = new List<(string Label, byte[] Data)>();
        var remaining = text.AsSpan();
        while (PemEncoding.TryFind(remaining, out var fields))
        {
            // TryFind has already checked the base64, so decoding cannot fail.
            var data = Convert.FromBase64String(remaining[fields.Base64Data].ToString());
            blocks.Add((remaining[fields.Label].ToString(), data));
            remaining = remaining[fields.Location.End..];
        }

        return blocks;
    }

    private static X509Certificate2 ParseCertificate(byte[] der, string path)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException ex)
        {
            throw new CertificateLoadException(
                $"File '{path}' contains a PEM certificate that is damaged and cannot be read.", path, ex);
        }
    }

    private static AsymmetricAlgorithm ImportPrivateKey(
        X509Certificate2 certificate, string certPemPath, List<(string Label, byte[] Data)> keyBlocks, string keyPemPath)
    {
        var (label, data) = keyBlocks.FirstOrDefault(block => block.Label is Pkcs8KeyLabel or EcKeyLabel or RsaKeyLabel);
        if (label is null)
        {
            var message = keyBlocks.Any(block => block.Label == EncryptedKeyLabel)
                ? $"The private key in file '{keyPemPath}' is encrypted; decrypt it first (for example with 'openssl pkey')."
                : keyBlocks.Any(block => block.Label == CertificateLabel)
                    ? $"File '{keyPemPath}' contains a certificate, not a private key; check that the certificate and key paths are not swapped."
                    : $"File '{keyPemPath}' does not contain a PEM private key.";
            throw new CertificateLoadException(message, keyPemPath);
        }

        AsymmetricAlgorithm key = certificate.GetKeyAlgorithm() switch
        {
            EcKeyOid => ECDsa.Create(),
            RsaKeyOid => RSA.Create(),
            var oid => throw new CertificateLoadException(
                $"The certificate in file '{certPemPath}' has a {new Oid(oid).FriendlyName ?? oid} key; only ECDSA and RSA keys are supported.",
                certPemPath),
        };

        try
        {
            // SEC 1 and PKCS#1 blocks name their algorithm; one for the other algorithm than the
            // certificate's cannot hold its key, and falls through to the error below.
            switch (label, key)
            {
                case (Pkcs8KeyLabel, _):
                    key.ImportPkcs8PrivateKey(data, out _);
                    return key;
                case (EcKeyLabel, ECDsa ecdsa):
                    ecdsa.ImportECPrivateKey(data, out _);
                    return key;
                case (RsaKeyLabel, RSA rsa):
                    rsa.ImportRSAPrivateKey(data, out _);
                    return key;
            }
        }
        catch (CryptographicException ex)
        {
            key.Dispose();
            throw KeyOfWrongType(key, certPemPath, keyPemPath, ex);
        }

        key.Dispose();
        throw KeyOfWrongType(key, certPemPath, keyPemPath, innerException: null);
    }

    private static CertificateLoadException KeyOfWrongType(
        AsymmetricAlgorithm key, string certPemPath, string keyPemPath, Exception? innerException)
    {
        var algorithm = key is ECDsa ? "ECDSA" : "RSA";
        return new CertificateLoadException(
            $"The private key in file '{keyPemPath}' does not match the certificate in file '{certPemPath}': the certificate needs an {algorithm} key, and this key is not one or is damaged.",
            keyPemPath,
            innerException);
    }

    private static CertificateLoadException NoCertificate(List<(string Label, byte[] Data)> blocks, string path)
    {
        var hasKey = blocks.Any(block => block.Label is Pkcs8KeyLabel or EcKeyLabel or RsaKeyLabel or EncryptedKeyLabel);
        var message = hasKey
            ? $"File '{path}' contains a private key, not a certificate; check that the certificate and key paths are not swapped."
            : $"File '{path}' does not contain a PEM certificate.";
        return new CertificateLoadException(message, path);
    }
}
