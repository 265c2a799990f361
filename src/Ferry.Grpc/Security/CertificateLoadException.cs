namespace Ferry.Grpc.Security;

/// <summary>
/// A certificate or private key file could not be used. The message is written for the person who
/// configured the path: it names the file and says in plain words what is wrong with it.
/// </summary>
public sealed class CertificateLoadException : Exception
{
    public CertificateLoadException(string message, string filePath, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The file that could not be used, as the caller passed it.</summary>
    public string FilePath { get; }
}
