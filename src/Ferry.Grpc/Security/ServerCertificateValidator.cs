using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Grpc.Security;

/// <summary>
/// Checks the server's certificate against the configured CA and expected name, and keeps the reason for the
/// last rejection in plain words, because the handshake exception itself only says "rejected by the callback".
/// </summary>
internal sealed class ServerCertificateValidator(Client.ClientTlsOptions options, string host, TimeProvider time)
{
    // One sequence for all validators, so that a call can note "now" without knowing its channel's validator.
    private static long s_sequence;

    private volatile string? _lastFailure;
    private long _lastAccepted;

    public string ExpectedName { get; } = options.ServerNameOverride ?? host;

    public string? LastFailure => _lastFailure;

    /// <summary>A point in the sequence of accepted server certificates, to compare with <see cref="LastAccepted"/>.</summary>
    public static long Now => Interlocked.Read(ref s_sequence);

    /// <summary>
    /// When this validator last accepted a server certificate, on the <see cref="Now"/> sequence. With TLS 1.3 the
    /// server checks the client's certificate only after the client has finished its handshake, so a call that
    /// sees a certificate accepted after it started and then loses the connection before any response was most
    /// likely refused for its client certificate.
    /// </summary>
    public long LastAccepted => Interlocked.Read(ref _lastAccepted);

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? presentedChain, SslPolicyErrors errors)
    {
        var failure = Check(certificate, presentedChain);
        _lastFailure = failure;
        if (failure is null)
        {
            Interlocked.Exchange(ref _lastAccepted, Interlocked.Increment(ref s_sequence));
        }

        return failure is null;
    }

    private string? Check(X509Certificate? presented, X509Chain? presentedChain)
    {
        if (presented is null)
        {
            return "the server sent no certificate";
        }

        using var certificate = new X509Certificate2(presented);
        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;
        if (options.TrustedCertificates is { } roots)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        }

        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        var subject = certificate.Subject;
        if (!chain.Build(certificate))
        {
            var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
            if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
            {
                return DescribeOutOfDate(chain, certificate);
            }

            if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
            {
                var source = options.TrustedCertificates is null ? "the system's trusted roots" : "the configured CA certificates";
                return $"the server certificate ({subject}, issued by {certificate.Issuer}) is signed by an unknown authority: it does not chain to {source}; give the CA that issued it as the trusted CA (ClientTlsOptions.TrustedCertificates, --ca_file){DescribeNamesake(certificate)}";
            }

            return $"the server certificate ({subject}) failed validation: {string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()))}";
        }

        if (!certificate.MatchesHostname(ExpectedName, allowWildcards: true, allowCommonName: false))
        {
            return $"the server certificate is not valid for the name '{ExpectedName}' (it names {DescribeNames(certificate)}); connect with a name the certificate carries or set the expected name (ClientTlsOptions.ServerNameOverride, --server_host_override)";
        }

        return null;
    }

    /// <summary>Which certificate of the chain is out of date, and whether it expired or is not valid yet.</summary>
    private string DescribeOutOfDate(X509Chain chain, X509Certificate2 certificate)
    {
        var outOfDate = chain.ChainElements
            .FirstOrDefault(e => e.ChainElementStatus.Any(s => (s.Status & X509ChainStatusFlags.NotTimeValid) != 0))?.Certificate ?? certificate;
        var what = outOfDate.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span)
            ? $"the server certificate ({certificate.Subject})"
            : $"the CA certificate {outOfDate.Subject} in the server certificate's chain";
        var now = time.GetUtcNow().UtcDateTime;
        var notBefore = outOfDate.NotBefore.ToUniversalTime();
        var notAfter = outOfDate.NotAfter.ToUniversalTime();
        var validity = $"valid {notBefore:u} to {notAfter:u}, and the time here is {now:u}";
        return now > notAfter
            ? $"{what} has expired ({validity}); renew it on the server"
            : $"{what} is not valid yet ({validity}); check the clocks of this machine and the server";
    }

    /// <summary>
    /// A trusted CA with the issuer's name that did not sign the certificate is a different CA of the same name,
    /// typically development certificates made again: worth saying, since the names alone look right.
    /// </summary>
    private string DescribeNamesake(X509Certificate2 certificate)
    {
        var issuer = certificate.IssuerName.RawData;
        var namesake = options.TrustedCertificates?.Any(ca => ca.SubjectName.RawData.AsSpan().SequenceEqual(issuer)) == true;
        return namesake
            ? $". A configured CA is also named {certificate.Issuer} but did not sign this certificate, so it is another CA of the same name (e.g. certificates made again with `ferry certs`): trust the CA file made together with the server's certificate"
            : "";
    }

    private static string DescribeNames(X509Certificate2 certificate)
    {
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>()
            .SelectMany(san => san.EnumerateDnsNames().Concat(san.EnumerateIPAddresses().Select(ip => ip.ToString())))
            .ToList();
        return names.Count == 0 ? "no subject alternative names" : string.Join(", ", names);
    }
}
