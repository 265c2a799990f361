using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Ferry.Grpc.AspNetCore.Server;

/// <summary>
/// Accepts client certificates issued by the configured CAs only (not the system roots), valid now and meant for
/// client authentication; logs why any other is refused, since the client only sees a failed handshake.
/// </summary>
internal sealed partial class ClientCertificateValidator(X509Certificate2Collection authorities, TimeProvider time, ILogger logger)
{
    public bool Validate(X509Certificate2 certificate, X509Chain? presentedChain, SslPolicyErrors errors)
    {
        var reason = Check(certificate, presentedChain);
        if (reason is not null)
        {
            ClientCertificateRejected(logger, certificate.Subject, reason);
        }

        return reason is null;
    }

    private string? Check(X509Certificate2 certificate, X509Chain? presentedChain)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (chain.Build(certificate))
        {
            return null;
        }

        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
        {
            return $"it is outside its validity period ({certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u})";
        }

        if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0)
        {
            return $"it was issued by '{certificate.Issuer}', which is not one of the configured client CAs";
        }

        if ((flags & X509ChainStatusFlags.NotValidForUsage) != 0)
        {
            return "it is not valid for client authentication (extended key usage clientAuth missing)";
        }

        return string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
    }

    [LoggerMessage(1, LogLevel.Warning, "Rejected client certificate '{Subject}': {Reason}.")]
    private static partial void ClientCertificateRejected(ILogger logger, string subject, string reason);
}
