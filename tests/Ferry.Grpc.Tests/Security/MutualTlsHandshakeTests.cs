using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Ferry.Grpc.Security;

namespace Ferry.Grpc.Tests.Security;

public class MutualTlsHandshakeTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ReloadedPemCertificatesCompleteAMutualTlsHandshakeWithH2()
    {
        using var directory = new TemporaryDirectory();
        using (var bundle = DevelopmentCertificates.Create(["localhost", "127.0.0.1"], TimeSpan.FromDays(1)))
        {
            bundle.WritePem(directory.Path);
        }

        var trust = PemCertificates.LoadCertificates(directory.File(CertificateBundle.CaFileName));
        using var serverCertificate = PemCertificates.LoadCertificateWithKey(
            directory.File(CertificateBundle.ServerFileName), directory.File(CertificateBundle.ServerKeyFileName));
        using var clientCertificate = PemCertificates.LoadCertificateWithKey(
            directory.File(CertificateBundle.ClientFileName), directory.File(CertificateBundle.ClientKeyFileName));

        await using var pair = await TlsPair.ConnectAsync();
        var serverTask = pair.Server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = serverCertificate,
            ClientCertificateRequired = true,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            CertificateChainPolicy = TrustOnly(trust),
        });
        var clientTask = pair.Client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = [clientCertificate],
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            CertificateChainPolicy = TrustOnly(trust),
        });
        await Task.WhenAll(serverTask, clientTask).WaitAsync(s_timeout);

        Assert.Equal(SslApplicationProtocol.Http2, pair.Server.NegotiatedApplicationProtocol);
        Assert.Equal(SslApplicationProtocol.Http2, pair.Client.NegotiatedApplicationProtocol);
        Assert.Equal(clientCertificate.Thumbprint, Assert.IsType<X509Certificate2>(pair.Server.RemoteCertificate).Thumbprint);
        Assert.Equal(serverCertificate.Thumbprint, Assert.IsType<X509Certificate2>(pair.Client.RemoteCertificate).Thumbprint);

        await pair.Client.WriteAsync("ping"u8.ToArray()).AsTask().WaitAsync(s_timeout);
        var received = new byte[4];
        await pair.Server.ReadExactlyAsync(received).AsTask().WaitAsync(s_timeout);
        Assert.Equal("ping"u8.ToArray(), received);
    }

    [Fact]
    public async Task ClientReportsAnExpiredServerCertificate()
    {
        using var bundle = DevelopmentCertificates.Create(
            ["localhost"], TimeSpan.FromHours(1), notBefore: DateTimeOffset.UtcNow.AddDays(-2));
        var trust = new X509Certificate2Collection(bundle.Ca);
        X509ChainStatusFlags? clientSaw = null;

        await using var pair = await TlsPair.ConnectAsync();
        var serverTask = pair.Server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = bundle.Server,
        });
        var clientTask = pair.Client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            CertificateChainPolicy = TrustOnly(trust),
            RemoteCertificateValidationCallback = (_, _, chain, errors) =>
            {
                clientSaw = chain!.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (flags, status) => flags | status.Status);
                return errors == SslPolicyErrors.None;
            },
        });

        await Assert.ThrowsAsync<AuthenticationException>(() => clientTask.WaitAsync(s_timeout));
        Assert.Equal(X509ChainStatusFlags.NotTimeValid, clientSaw);

        // With TLS 1.3 the server may finish its side before the client rejects the certificate, so only
        // completion is awaited, not a failure.
        pair.Client.Dispose();
        await Task.WhenAny(serverTask).WaitAsync(s_timeout);
    }

    private static X509ChainPolicy TrustOnly(X509Certificate2Collection trust)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(trust);
        return policy;
    }

    /// <summary>Both ends of a loopback TCP connection, each wrapped in an <see cref="SslStream"/>.</summary>
    private sealed class TlsPair : IAsyncDisposable
    {
        private TlsPair(SslStream server, SslStream client)
        {
            Server = server;
            Client = client;
        }

        public SslStream Server { get; }

        public SslStream Client { get; }

        public static async Task<TlsPair> ConnectAsync()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                var client = new TcpClient();
                var accept = listener.AcceptTcpClientAsync();
                await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint).WaitAsync(s_timeout);
                var server = await accept.WaitAsync(s_timeout);
                return new TlsPair(new SslStream(server.GetStream()), new SslStream(client.GetStream()));
            }
            finally
            {
                listener.Stop();
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            await Client.DisposeAsync();
        }
    }
}
