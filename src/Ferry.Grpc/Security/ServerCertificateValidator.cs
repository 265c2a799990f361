using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Ferry.Grpc.Security;

/// <summary>
/// Checks the server's certificate against the configured CA and expected name, and keeps the reason for the
/// last rejection in plain words, because the handshake exception itself only says "rejected by the callback".
/// </summary>
internal sealed class ServerCertificateValidator(Client.ClientTlsOptions options, string host, TimeProvider time)
{
    private volatile string? _lastFailure;

    public string ExpectedName { get; } = options.ServerNameOverride ?? host;

    public string? LastFailure => _lastFailure;

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? presentedChain, SslPolicyErrors errors)
    {
        var failure = Check(certificate, presentedChain);
        _lastFailure = failure;
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
                return $"the server certificate ({subject}) is outside its validity period (valid {certificate.NotBefore:u} to {certificate.NotAfter:u}); it has expired or is not yet valid: renew it on the server";
            }

            if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
            {
                var source = options.TrustedCertificates is null ? "the system's trusted roots" : "the configured CA certificates";
                return $"the server certificate ({subject}, issued by {certificate.Issuer}) is signed by an unknown authority: it does not chain to {source}; give the CA that issued it as the trusted CA (ClientTlsOptions.TrustedCertificates, --ca_file)";
            }

            return $"the server certificate ({subject}) failed validation: {string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()))}";
        }

        if (!certificate.MatchesHostname(ExpectedName, allowWildcards: true, allowCommonName: false))
        {
            return $"the server certificate is not valid for the name '{ExpectedName}' (it names {DescribeNames(certificate)}); connect with a name the certificate carries or set the expected name (ClientTlsOptions.ServerNameOverride, --server_host_override)";
        }

        return null;
    }

    private static string DescribeNames(X509Certificate2 certificate)
    {
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>()
            .SelectMany(san => san.EnumerateDnsNames().Concat(san.EnumerateIPAddresses().Select(ip => ip.ToString())))
            .ToList();
        return names.Count == 0 ? "no subject alternative names" : string.Join(", ", names);
    }
}
