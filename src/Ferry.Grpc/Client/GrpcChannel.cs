using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Ferry.Grpc.Compression;
using Ferry.Grpc.Security;

namespace Ferry.Grpc.Client;

/// <summary>
/// A channel to one gRPC server over HTTP/2: h2c with prior knowledge for <c>http://</c>, TLS with ALPN h2 for
/// <c>https://</c>. Connections are pooled and multiplexed by the underlying <see cref="SocketsHttpHandler"/>.
/// </summary>
public sealed class GrpcChannel : ChannelBase, IDisposable
{
    private readonly HttpMessageInvoker _invoker;
    private readonly bool _ownsHandler;

    private GrpcChannel(Uri address, GrpcChannelOptions options)
    {
        options.Validate();
        if (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"Address '{address}' must start with http:// (h2c) or https:// (TLS).", nameof(address));
        }

        Address = address;
        Options = options;
        Compression = new CompressionProviders(options.CompressionProviders);
        if (address.Scheme == Uri.UriSchemeHttps)
        {
            CertificateValidator = new ServerCertificateValidator(options.Tls ?? new ClientTlsOptions(), address.Host, options.TimeProvider);
        }

        _ownsHandler = options.HttpHandler is null;
        _invoker = new HttpMessageInvoker(options.HttpHandler ?? CreateHandler(), disposeHandler: _ownsHandler);
        CallInvoker = new HttpCallInvoker(this);
    }

    internal const string UserAgent = "grpc-dotnet-ferry/1.0";

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Uri> _methodUris = new(StringComparer.Ordinal);

    public Uri Address { get; }

    public GrpcChannelOptions Options { get; }

    internal CallInvoker CallInvoker { get; }

    internal HttpMessageInvoker HttpInvoker => _invoker;

    internal CompressionProviders Compression { get; }

    internal ServerCertificateValidator? CertificateValidator { get; }

    public static GrpcChannel ForAddress(string address, GrpcChannelOptions? options = null) =>
        ForAddress(new Uri(address), options);

    public static GrpcChannel ForAddress(Uri address, GrpcChannelOptions? options = null) =>
        new(address, options ?? new GrpcChannelOptions());

    public override CallInvoker CreateCallInvoker() => CallInvoker;

    public void Dispose() => _invoker.Dispose();

    internal Uri GetMethodUri(string fullName) =>
        _methodUris.GetOrAdd(fullName, static (name, address) => new Uri(address, name), Address);

    private SocketsHttpHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = Options.EnableMultipleHttp2Connections,
            ConnectTimeout = Options.ConnectTimeout,
            PooledConnectionIdleTimeout = Options.IdleConnectionTimeout,
            InitialHttp2StreamWindowSize = Options.InitialStreamWindowSize,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
        };
        if (Options.KeepAliveTime != Timeout.InfiniteTimeSpan)
        {
            handler.KeepAlivePingDelay = Options.KeepAliveTime;
            handler.KeepAlivePingTimeout = Options.KeepAliveTimeout;
            handler.KeepAlivePingPolicy = Options.KeepAliveWithoutCalls ? HttpKeepAlivePingPolicy.Always : HttpKeepAlivePingPolicy.WithActiveRequests;
        }

        if (CertificateValidator is not null)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                RemoteCertificateValidationCallback = CertificateValidator.Validate,
                ClientCertificates = Options.Tls?.ClientCertificate is { } certificate ? [certificate] : null,
                LocalCertificateSelectionCallback = Options.Tls?.ClientCertificate is { } selected ? (_, _, _, _, _) => selected : null,
            };
        }

        handler.ConnectCallback = Options.ConnectCallback is { } connect
            ? (context, cancellationToken) => connect(context.DnsEndPoint, cancellationToken)
            : ConnectTcpAsync;
        return handler;
    }

    /// <summary>Nagle off: gRPC writes are already framed, and a delayed small frame is pure added latency.</summary>
    private static async ValueTask<Stream> ConnectTcpAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
