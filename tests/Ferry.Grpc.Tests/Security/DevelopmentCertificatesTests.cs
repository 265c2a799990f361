using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ferry.Grpc.Security;

namespace Ferry.Grpc.Tests.Security;

public class DevelopmentCertificatesTests
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    [Fact]
    public void ServerAndClientChainToTheCa()
    {
        using var bundle = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));

        Assert.Empty(BuildChain(bundle.Ca, bundle.Server, ServerAuthOid));
        Assert.Empty(BuildChain(bundle.Ca, bundle.Client, ClientAuthOid));
    }

    [Fact]
    public void ChainFailsAgainstAnotherCa()
    {
        using var bundle = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));
        using var other = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));

        Assert.NotEmpty(BuildChain(other.Ca, bundle.Server, ServerAuthOid));
    }

    [Fact]
    public void CaHasCaExtensions()
    {
        using var bundle = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));

        var basicConstraints = bundle.Ca.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(basicConstraints.CertificateAuthority);
        Assert.True(basicConstraints.Critical);
        var keyUsage = bundle.Ca.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, keyUsage.KeyUsages);
        Assert.NotNull(bundle.Ca.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single().SubjectKeyIdentifier);
        Assert.True(bundle.Ca.HasPrivateKey);
    }

    [Fact]
    public void ServerHasNamesAsSubjectAlternativeNames()
    {
        using var bundle = DevelopmentCertificates.Create(
            ["localhost", "127.0.0.1", "::1", "ferry.test", "10"], TimeSpan.FromDays(1));

        var san = bundle.Server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["localhost", "ferry.test", "10"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], san.EnumerateIPAddresses());
        Assert.Equal("localhost", bundle.Server.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
        Assert.True(bundle.Server.MatchesHostname("localhost"));
        Assert.True(bundle.Server.MatchesHostname("127.0.0.1"));
    }

    [Fact]
    public void LeavesHaveTheRightUsagesAndIssuerKey()
    {
        using var bundle = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));
        var caKeyId = bundle.Ca.Extensions.OfType<X509SubjectKeyIdentifierExtension>().Single().SubjectKeyIdentifierBytes;

        Assert.Equal([ServerAuthOid], ExtendedKeyUsages(bundle.Server));
        Assert.Equal([ClientAuthOid], ExtendedKeyUsages(bundle.Client));
        Assert.Equal(
            $"CN={DevelopmentCertificates.ClientCommonName}",
            bundle.Client.Subject);
        foreach (var leaf in new[] { bundle.Server, bundle.Client })
        {
            Assert.True(leaf.HasPrivateKey);
            Assert.False(leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
            var authorityKeyId = leaf.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().Single().KeyIdentifier;
            Assert.True(authorityKeyId.HasValue && authorityKeyId.Value.Span.SequenceEqual(caKeyId.Span));
            Assert.Equal("1.2.840.10045.2.1", leaf.GetKeyAlgorithm());
        }
    }

    [Fact]
    public void SerialNumbersAreRandomAndPositive()
    {
        using var first = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));
        using var second = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));

        var serials = new[] { first.Ca, first.Server, first.Client, second.Ca, second.Server, second.Client }
            .Select(certificate => certificate.SerialNumber)
            .ToList();
        Assert.Equal(serials.Count, serials.Distinct().Count());
        Assert.All(serials, serial => Assert.True(Convert.FromHexString(serial)[0] is > 0 and < 0x80));
    }

    [Fact]
    public void ValidityStartsBeforeNowFromTheTimeProvider()
    {
        var now = new DateTimeOffset(2030, 6, 1, 12, 0, 0, 500, TimeSpan.Zero);

        using var bundle = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(30), new FixedTimeProvider(now));

        var expectedStart = new DateTimeOffset(2030, 6, 1, 11, 55, 0, TimeSpan.Zero);
        foreach (var certificate in new[] { bundle.Ca, bundle.Server, bundle.Client })
        {
            Assert.Equal(expectedStart.UtcDateTime, certificate.NotBefore.ToUniversalTime());
            Assert.Equal(expectedStart.AddDays(30).UtcDateTime, certificate.NotAfter.ToUniversalTime());
        }
    }

    [Fact]
    public void FractionalValidityIsCutToWholeSeconds()
    {
        var now = new DateTimeOffset(2030, 6, 1, 12, 0, 0, 999, TimeSpan.Zero);

        using var bundle = DevelopmentCertificates.Create(
            ["localhost"], TimeSpan.FromSeconds(3599.75), new FixedTimeProvider(now), notBefore: now);

        var expectedEnd = new DateTimeOffset(2030, 6, 1, 12, 59, 59, TimeSpan.Zero);
        Assert.Equal(expectedEnd.UtcDateTime, bundle.Server.NotAfter.ToUniversalTime());
        Assert.True(bundle.Ca.NotAfter >= bundle.Server.NotAfter);
    }

    [Fact]
    public void NotBeforeInThePastGivesExpiredLeavesUnderAValidCa()
    {
        var now = DateTimeOffset.UtcNow;

        using var bundle = DevelopmentCertificates.Create(
            ["localhost"], TimeSpan.FromHours(1), notBefore: now.AddDays(-2));

        Assert.True(bundle.Server.NotAfter.ToUniversalTime() < now.UtcDateTime);
        Assert.True(bundle.Ca.NotAfter.ToUniversalTime() > now.UtcDateTime);
        Assert.True(bundle.Ca.NotBefore.ToUniversalTime() <= bundle.Server.NotBefore.ToUniversalTime());
        Assert.Equal([X509ChainStatusFlags.NotTimeValid], BuildChain(bundle.Ca, bundle.Server, ServerAuthOid));
    }

    [Fact]
    public void RejectsBadArguments()
    {
        Assert.Throws<ArgumentException>(() => DevelopmentCertificates.Create([], TimeSpan.FromDays(1)));
        Assert.Throws<ArgumentException>(() => DevelopmentCertificates.Create(["localhost", " "], TimeSpan.FromDays(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => DevelopmentCertificates.Create(["localhost"], TimeSpan.Zero));
    }

    internal static X509ChainStatusFlags[] BuildChain(X509Certificate2 ca, X509Certificate2 leaf, string usageOid)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(usageOid));
        var valid = chain.Build(leaf);
        var flags = chain.ChainStatus.Select(status => status.Status).Distinct().ToArray();
        Assert.Equal(valid, flags.Length == 0);
        return flags;
    }

    private static string[] ExtendedKeyUsages(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single()
            .EnhancedKeyUsages.Cast<Oid>().Select(oid => oid.Value!).ToArray();
}
