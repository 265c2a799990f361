using System.Net;
using System.Net.Security;
using Ferry.Gateway.Config;
using Ferry.Grpc.Client;
using Ferry.Grpc.Security;

namespace Ferry.Gateway.Upstream;

/// <summary>Builds the pooled HTTP/2 client a cluster sends its calls with, from the cluster's connection settings.</summary>
internal static class UpstreamHandlerFactory
{
    /// <param name="certificateName">
    /// For TLS, the name backend certificates are checked against when the cluster sets no server_name: the endpoint's
    /// host for a handler that serves one endpoint. Null checks the TLS target name, which SocketsHttpHandler takes
    /// from the request's Host header (the client's authority when the route passes it on).
    /// </param>
    public static SocketsHttpHandler Create(ClusterConfig cluster, IUpstreamConnector connector, TimeProvider time, string? certificateName = null)
    {
        var connection = cluster.Connection;
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = connection.MultipleConnections,
            ConnectTimeout = connection.DialTimeout,
            PooledConnectionIdleTimeout = connection.IdleTimeout,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            InitialHttp2StreamWindowSize = connection.InitialStreamWindow,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            ActivityHeadersPropagator = null,
            ConnectCallback = (context, cancellationToken) => connector.ConnectAsync(context.DnsEndPoint, cancellationToken),
        };
        if (connection.KeepAliveTime is { } keepAlive)
        {
            handler.KeepAlivePingDelay = keepAlive;
            handler.KeepAlivePingTimeout = connection.KeepAliveTimeout;
            handler.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests;
        }

        if (cluster.Tls is { } tls)
        {
            var clientTls = new ClientTlsOptions
            {
                TrustedCertificates = tls.Ca is null ? null : PemCertificates.LoadCertificates(tls.Ca),
                ServerNameOverride = tls.ServerName,
                ClientCertificate = tls.ClientCert is null || tls.ClientKey is null ? null : PemCertificates.LoadCertificateWithKey(tls.ClientCert, tls.ClientKey),
            };
            var validators = new System.Collections.Concurrent.ConcurrentDictionary<string, ServerCertificateValidator>();
            var endpointValidator = certificateName is null ? null : new ServerCertificateValidator(clientTls, certificateName, time);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                {
                    var validator = endpointValidator ??
                        validators.GetOrAdd((sender as SslStream)?.TargetHostName ?? "", h => new ServerCertificateValidator(clientTls, h, time));
                    return validator.Validate(sender, certificate, chain, errors);
                },
                ClientCertificates = clientTls.ClientCertificate is { } certificate ? [certificate] : null,
            };
        }

        return handler;
    }
}
