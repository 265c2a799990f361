using System.Security.Cryptography.X509Certificates;
using Ferry.Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ferry.Grpc.AspNetCore.Hosting;

public static class GrpcListenOptionsExtensions
{
    /// <summary>
    /// Serves gRPC on this endpoint: HTTP/2 only, as h2c with prior knowledge, or over TLS with ALPN h2 when
    /// <paramref name="tls"/> is given. With client CAs, client certificates are required and checked against them
    /// (and only them), and each rejection is logged with its reason. With <paramref name="keepAlive"/>, clients that
    /// ping more often than it permits are sent GOAWAY <c>ENHANCE_YOUR_CALM</c> "too_many_pings" and disconnected
    /// (its <see cref="ServerKeepAliveOptions.Time"/> and <see cref="ServerKeepAliveOptions.Timeout"/> are server-wide:
    /// apply them with <see cref="GrpcKestrelServerOptionsExtensions.ConfigureGrpcKeepAlive"/>).
    /// </summary>
    public static ListenOptions UseGrpc(this ListenOptions listenOptions, ServerTlsOptions? tls = null, ServerKeepAliveOptions? keepAlive = null)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        keepAlive?.Validate(nameof(keepAlive));
        listenOptions.Protocols = HttpProtocols.Http2;
        if (tls is not null)
        {
            UseTls(listenOptions, tls);
        }

        // After UseHttps: connection middleware runs in the order added, so this one sees the decrypted HTTP/2 bytes.
        if (keepAlive is not null)
        {
            var logger = CreateLogger(listenOptions, KeepAliveLog.Category);
            listenOptions.Use(next => new KeepAliveConnectionMiddleware(next, keepAlive, logger).OnConnectionAsync);
        }

        return listenOptions;
    }

    /// <summary>TLS as gRPC wants it (ALPN from the listener's protocols, optional client certificates); for hosts that serve HTTP/2 themselves.</summary>
    internal static void UseTls(ListenOptions listenOptions, ServerTlsOptions tls)
    {
        var logger = CreateLogger(listenOptions, "Ferry.Grpc.Tls");
        listenOptions.UseHttps(https =>
        {
            https.ServerCertificate = tls.Certificate;
            https.HandshakeTimeout = tls.HandshakeTimeout;
            if (tls.ClientCertificateAuthorities is { } authorities)
            {
                https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                var validator = new ClientCertificateValidator(authorities, TimeProvider.System, logger);
                https.ClientCertificateValidation = validator.Validate;
            }
        });
    }

    private static ILogger CreateLogger(ListenOptions listenOptions, string category) =>
        listenOptions.ApplicationServices.GetService<ILoggerFactory>()?.CreateLogger(category)
            ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
}
