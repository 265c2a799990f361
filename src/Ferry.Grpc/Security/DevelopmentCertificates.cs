using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Grpc.Security;

/// <summary>
/// Creates a throwaway CA with a server and a client certificate for mutual TLS in development and tests.
/// Keys are ECDSA P-256 signed with SHA-256, which OpenSSL (grpcio, Node) and .NET accept, and the
/// extensions satisfy OpenSSL's strict mode (Python 3.13 turns it on by default).
/// </summary>
public static class DevelopmentCertificates
{
    /// <summary>Common name of the client certificate.</summary>
    public const string ClientCommonName = "ferry-client";

    private const string CaCommonName = "Ferry Development CA";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    // Starting a little in the past keeps a certificate valid on a machine whose clock is behind ours.
    private static readonly TimeSpan s_clockSkew = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Creates the CA, server and client certificates.
    /// </summary>
    /// <param name="serverNames">Names the server certificate is valid for, each added as an IP address
    /// SAN when it is one and as a DNS name SAN otherwise. The first is also the common name.</param>
    /// <param name="validity">How long the server and client certificates are valid.</param>
    /// <param name="time">Clock for "now"; the system clock when null.</param>
    /// <param name="notBefore">Start of the server and client certificates' validity; a few minutes before
    /// now when null. Pass a time further back than <paramref name="validity"/> to get expired certificates
    /// for testing. The CA is always valid now as well, so only the leaf certificates are out of date.</param>
    public static CertificateBundle Create(
        IReadOnlyList<string> serverNames, TimeSpan validity, TimeProvider? time = null, DateTimeOffset? notBefore = null)
    {
        ArgumentNullException.ThrowIfNull(serverNames);
        if (serverNames.Count == 0)
        {
            throw new ArgumentException("At least one server name is required.", nameof(serverNames));
        }

        foreach (var name in serverNames)
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new ArgumentException("Server names must not be empty.", nameof(serverNames));
            }
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(validity, TimeSpan.Zero);

        // Whole seconds, because certificates store no fractions and CertificateRequest.Create rejects a
        // leaf that outlives its issuer by even the fraction that the issuer's stored NotAfter lost.
        var defaultStart = TruncateToSeconds((time ?? TimeProvider.System).GetUtcNow() - s_clockSkew);
        var leafStart = notBefore is { } start ? TruncateToSeconds(start) : defaultStart;
        var leafEnd = TruncateToSeconds(leafStart + validity);

        // The CA covers both the default window and the leaves' window: an issuer must span what it
        // signs, and a CA that is valid now lets tests see the expiry of the leaves alone.
        var caStart = Min(leafStart, defaultStart);
        var caEnd = Max(leafEnd, TruncateToSeconds(defaultStart + validity));

        using var caCert = CreateCa(caStart, caEnd);
        using var serverCert = CreateLeaf(caCert, serverNames[0], ServerAuthOid, serverNames, leafStart, leafEnd);
        using var clientCert = CreateLeaf(caCert, ClientCommonName, ClientAuthOid, sanNames: [], leafStart, leafEnd);

        return new CertificateBundle(
            PemCertificates.MakeUsableBySslStream(caCert),
            PemCertificates.MakeUsableBySslStream(serverCert),
            PemCertificates.MakeUsableBySslStream(clientCert));
    }

    private static X509Certificate2 CreateCa(DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(CommonName(CaCommonName), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(
            new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(
            new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));

        // Not CreateSelfSigned: it picks its own 8-byte serial, and one rule for all three serials is simpler.
        using var certificate = request.Create(
            request.SubjectName, X509SignatureGenerator.CreateForECDsa(key), notBefore, notAfter, NewSerialNumber());
        return certificate.CopyWithPrivateKey(key);
    }

    private static X509Certificate2 CreateLeaf(
        X509Certificate2 ca,
        string commonName,
        string extendedKeyUsageOid,
        IReadOnlyList<string> sanNames,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(CommonName(commonName), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(
            new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(
            new X509EnhancedKeyUsageExtension([new Oid(extendedKeyUsageOid)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(
            X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (sanNames.Count > 0)
        {
            request.CertificateExtensions.Add(SubjectAlternativeNames(sanNames));
        }

        using var certificate = request.Create(ca, notBefore, notAfter, NewSerialNumber());
        return certificate.CopyWithPrivateKey(key);
    }

    private static X509Extension SubjectAlternativeNames(IReadOnlyList<string> names)
    {
        var builder = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (TryParseIPAddress(name, out var address))
            {
                builder.AddIpAddress(address);
            }
            else
            {
                builder.AddDnsName(name);
            }
        }

        return builder.Build();
    }

    // IPAddress.TryParse also accepts shorthand such as "10" or "10.1", which are more likely odd host
    // names than addresses; an IPv4 address counts only in dotted-quad form.
    private static bool TryParseIPAddress(string name, out IPAddress address) =>
        IPAddress.TryParse(name, out address!)
        && (address.AddressFamily == AddressFamily.InterNetworkV6 || address.ToString() == name);

    private static X500DistinguishedName CommonName(string commonName)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(commonName);
        return builder.Build();
    }

    // 16 random bytes: unique, and well inside RFC 5280's 20-octet limit. The top bit is cleared so the
    // serial is positive, and the low bit set so the first byte is never zero, which DER would reject as
    // a non-minimal integer.
    private static byte[] NewSerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        return serial;
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset value) =>
        new(value.Ticks - (value.Ticks % TimeSpan.TicksPerSecond), value.Offset);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
