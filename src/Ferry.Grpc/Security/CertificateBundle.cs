using System.Security.Cryptography.X509Certificates;

namespace Ferry.Grpc.Security;

/// <summary>
/// A development CA with a server and a client certificate it signed, each with its private key. Made by
/// <see cref="DevelopmentCertificates.Create"/>; disposing the bundle disposes the certificates.
/// </summary>
public sealed class CertificateBundle : IDisposable
{
    public const string CaFileName = "ca.pem";
    public const string CaKeyFileName = "ca-key.pem";
    public const string ServerFileName = "server.pem";
    public const string ServerKeyFileName = "server-key.pem";
    public const string ClientFileName = "client.pem";
    public const string ClientKeyFileName = "client-key.pem";

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    internal CertificateBundle(X509Certificate2 ca, X509Certificate2 server, X509Certificate2 client)
    {
        Ca = ca;
        Server = server;
        Client = client;
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Server { get; }

    public X509Certificate2 Client { get; }

    /// <summary>
    /// Writes the certificates and their PKCS#8 keys as PEM files into <paramref name="directory"/>,
    /// creating it if needed. On Unix the key files are readable by their owner only.
    /// </summary>
    /// <returns>The full paths written, certificates and keys in the order of the file name constants.</returns>
    /// <exception cref="IOException">A file already exists and <paramref name="overwrite"/> is false; then
    /// nothing is written.</exception>
    public IReadOnlyList<string> WritePem(string directory, bool overwrite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);

        directory = Path.GetFullPath(directory);
        var files = new (string Path, string Contents, bool IsKey)[]
        {
            (Path.Combine(directory, CaFileName), Ca.ExportCertificatePem(), false),
            (Path.Combine(directory, CaKeyFileName), ExportPrivateKeyPem(Ca), true),
            (Path.Combine(directory, ServerFileName), Server.ExportCertificatePem(), false),
            (Path.Combine(directory, ServerKeyFileName), ExportPrivateKeyPem(Server), true),
            (Path.Combine(directory, ClientFileName), Client.ExportCertificatePem(), false),
            (Path.Combine(directory, ClientKeyFileName), ExportPrivateKeyPem(Client), true),
        };

        // Checked up front so that a refusal leaves no half-written set behind; FileMode.CreateNew below
        // still guards against a file appearing in between.
        if (!overwrite)
        {
            var existing = files.Where(file => File.Exists(file.Path)).Select(file => file.Path).ToList();
            if (existing.Count > 0)
            {
                throw new IOException(
                    $"Refusing to overwrite existing files: {string.Join(", ", existing)}. Pass overwrite: true to replace them.");
            }
        }

        Directory.CreateDirectory(directory);
        foreach (var file in files)
        {
            // Ending in a newline, as PEM files do, so they can be concatenated (HAProxy takes certificate and key
            // in one file).
            WriteFile(file.Path, file.Contents + "\n", file.IsKey, overwrite);
        }

        return files.Select(file => file.Path).ToList();
    }

    public void Dispose()
    {
        Ca.Dispose();
        Server.Dispose();
        Client.Dispose();
    }

    private static string ExportPrivateKeyPem(X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPrivateKey()
            ?? throw new InvalidOperationException($"Certificate '{certificate.Subject}' has no ECDSA private key.");
        return key.ExportPkcs8PrivateKeyPem();
    }

    private static void WriteFile(string path, string contents, bool isKey, bool overwrite)
    {
        var options = new FileStreamOptions
        {
            Mode = overwrite ? FileMode.Create : FileMode.CreateNew,
            Access = FileAccess.Write,
        };
        if (isKey && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerReadWrite;
        }

        using var stream = new FileStream(path, options);

        // UnixCreateMode applies only to a new file; an overwritten key file keeps its old mode otherwise.
        if (isKey && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(stream.SafeFileHandle, OwnerReadWrite);
        }

        using var writer = new StreamWriter(stream);
        writer.Write(contents);
    }
}
