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
    /// (and only them), and each rejection is logged with its reason.
    /// </summary>
    public static ListenOptions UseGrpc(this ListenOptions listenOptions, ServerTlsOptions? tls = null)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        listenOptions.Protocols = HttpProtocols.Http2;
        if (tls is null)
        {
            return listenOptions;
        }

        var logger = listenOptions.ApplicationServices.GetService<ILoggerFactory>()?.CreateLogger("Ferry.Grpc.Tls")
            ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        return listenOptions.UseHttps(https =>
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
}
