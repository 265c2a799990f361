using System.Security.Cryptography.X509Certificates;

namespace Ferry.Grpc.AspNetCore.Hosting;

/// <summary>TLS for a gRPC listener; with <see cref="ClientCertificateAuthorities"/> set it is mutual TLS.</summary>
public sealed record ServerTlsOptions
{
    /// <summary>The server certificate, with its private key.</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>When set, clients must present a certificate issued by one of these CAs.</summary>
    public X509Certificate2Collection? ClientCertificateAuthorities { get; init; }

    /// <summary>How long a TLS handshake may take. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
