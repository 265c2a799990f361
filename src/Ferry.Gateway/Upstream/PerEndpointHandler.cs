namespace Ferry.Gateway.Upstream;

/// <summary>
/// Sends each request with the handler of the endpoint its URI names. TLS clusters need one handler per endpoint:
/// SocketsHttpHandler takes the TLS target name from the Host header, which is the client's authority when the route
/// passes it on, so a shared handler would check a backend's certificate against the name the client gave the
/// gateway instead of the endpoint's host (or the cluster's server_name).
/// </summary>
internal sealed class PerEndpointHandler : HttpMessageHandler
{
    private readonly Dictionary<string, HttpMessageInvoker> _invokers = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<HttpMessageHandler> _handlers = [];

    public PerEndpointHandler(IEnumerable<(Uri Endpoint, HttpMessageHandler Handler)> endpoints)
    {
        foreach (var (endpoint, handler) in endpoints)
        {
            _handlers.Add(handler);
            _invokers.TryAdd(endpoint.Authority, new HttpMessageInvoker(handler, disposeHandler: false));
        }
    }

    /// <summary>The name an endpoint's certificate must carry: its host, an IPv6 address without brackets.</summary>
    public static string CertificateName(Uri endpoint) =>
        endpoint.HostNameType == UriHostNameType.IPv6 ? endpoint.Host.Trim('[', ']') : endpoint.IdnHost;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _invokers.TryGetValue(request.RequestUri!.Authority, out var invoker)
            ? invoker.SendAsync(request, cancellationToken)
            : throw new InvalidOperationException($"{request.RequestUri.Authority} is not an endpoint of this cluster.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var handler in _handlers)
            {
                handler.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
