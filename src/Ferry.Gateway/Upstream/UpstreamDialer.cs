using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Ferry.Gateway.Config;
using Ferry.Grpc.Client;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Security;

namespace Ferry.Gateway.Upstream;

/// <summary>
/// Dials one endpoint: the byte stream from the connector (TCP or a tunnel), TLS with ALPN h2 when the cluster
/// says so, then the HTTP/2 handshake. Every failure becomes an <see cref="UpstreamConnectException"/> that says
/// which step failed.
/// </summary>
internal sealed class UpstreamDialer
{
    private readonly DnsEndPoint _endpoint;
    private readonly IUpstreamConnector _connector;
    private readonly ConnectionConfig _connection;
    private Http2ClientOptions _options;
    private readonly SslClientAuthenticationOptions? _tls;
    private readonly TimeProvider _time;

    public UpstreamDialer(DnsEndPoint endpoint, IUpstreamConnector connector, ClusterConfig cluster, TimeProvider time)
    {
        _endpoint = endpoint;
        _connector = connector;
        _connection = cluster.Connection;
        _time = time;
        _options = new Http2ClientOptions
        {
            InitialStreamWindow = cluster.Connection.InitialStreamWindow,
            MaxStreamWindow = cluster.Connection.MaxStreamWindow,
            KeepAliveTime = cluster.Connection.KeepAliveTime,
            KeepAliveTimeout = cluster.Connection.KeepAliveTimeout,
            HandshakeTimeout = cluster.Connection.DialTimeout,
        };
        _tls = cluster.Tls is { } tls ? CreateTlsOptions(tls, endpoint.Host, time) : null;
    }

    public string Address => $"{_endpoint.Host}:{_endpoint.Port}";

    /// <summary>
    /// The endpoint refused our pings as too frequent (too_many_pings): like gRPC clients (proposal A8), ping it half as
    /// often from the next connection on.
    /// </summary>
    public void OnTooManyPings()
    {
        if (_options.KeepAliveTime is { } interval)
        {
            _options = _options with { KeepAliveTime = interval * 2 };
        }
    }

    /// <summary>How long a dial may take; also how long a call waits for a stream when every connection is full.</summary>
    public TimeSpan DialTimeout => _connection.DialTimeout;

    public async Task<Http2ClientConnection> ConnectAsync()
    {
        using var timeout = new CancellationTokenSource(_connection.DialTimeout, _time);
        Stream? stream = null;
        var step = "connect";
        try
        {
            stream = await _connector.ConnectAsync(_endpoint, timeout.Token).ConfigureAwait(false);
            if (_tls is not null)
            {
                step = "TLS handshake";
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(_tls, timeout.Token).ConfigureAwait(false);
                if (ssl.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
                {
                    throw new AuthenticationException("the server did not agree to HTTP/2 (ALPN h2)");
                }
            }

            step = "HTTP/2 handshake";
            return await Http2ClientConnection.ConnectAsync(stream, _options, _time, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            throw new UpstreamConnectException(Describe(step, ex, timeout.IsCancellationRequested), ex);
        }
    }

    private string Describe(string step, Exception exception, bool timedOut)
    {
        if (timedOut)
        {
            return $"{step} to {Address} timed out after {_connection.DialTimeout.TotalMilliseconds:0} ms";
        }

        var reason = exception switch
        {
            SocketException socket => socket.SocketErrorCode.ToString(),
            AuthenticationException auth => auth.InnerException?.Message ?? auth.Message,
            _ => exception.Message,
        };
        return $"{step} to {_endpoint.Host}:{_endpoint.Port} failed: {reason}";
    }

    /// <summary>
    /// SNI and the certificate name check use the cluster's server_name, else the endpoint's host; never the
    /// client's authority, which names the gateway rather than the backend.
    /// </summary>
    private static SslClientAuthenticationOptions CreateTlsOptions(UpstreamTlsConfig tls, string host, TimeProvider time)
    {
        var clientTls = new ClientTlsOptions
        {
            TrustedCertificates = tls.Ca is null ? null : PemCertificates.LoadCertificates(tls.Ca),
            ServerNameOverride = tls.ServerName,
            ClientCertificate = tls.ClientCert is null || tls.ClientKey is null ? null : PemCertificates.LoadCertificateWithKey(tls.ClientCert, tls.ClientKey),
        };
        var name = tls.ServerName ?? host;
        var validator = new ServerCertificateValidator(clientTls, name, time);
        return new SslClientAuthenticationOptions
        {
            TargetHost = IPAddress.TryParse(name, out _) ? null : name,
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            RemoteCertificateValidationCallback = validator.Validate,
            ClientCertificates = clientTls.ClientCertificate is { } certificate ? [certificate] : null,
        };
    }
}
