namespace Ferry.Grpc.Tests.Proxies;

/// <summary>
/// nginx's <c>server</c> with <c>location / { grpc_pass ... }</c> for a <see cref="ProxySite"/>. The defaults are
/// nginx's own, except a request body of any size (<c>client_max_body_size 0</c>, which every gRPC deployment sets:
/// streams have no length) and upstream connections kept alive, as the nginx gRPC guides advise.
/// </summary>
internal sealed record NginxSite : ProxySite
{
    /// <summary>Upstream connections kept for reuse (<c>keepalive</c> in the upstream block); 0: a new connection per call.</summary>
    public int UpstreamKeepAlive { get; init; } = 16;

    /// <summary>Calls on one client connection before nginx closes it with GOAWAY (<c>keepalive_requests</c>).</summary>
    public int KeepAliveRequests { get; init; } = 1000;

    /// <summary>How long an idle client connection is kept (<c>keepalive_timeout</c>).</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>Streams at once on one client connection (<c>http2_max_concurrent_streams</c>).</summary>
    public int MaxConcurrentStreams { get; init; } = 128;
}
