using Ferry.Grpc.Tests.Tls;

namespace Ferry.Grpc.Tests.Proxies;

/// <summary>
/// How <see cref="NginxProxy"/> fronts one gRPC upstream: a <c>server</c> with <c>location / { grpc_pass ... }</c>.
/// The defaults are nginx's own, except a request body of any size (<c>client_max_body_size 0</c>, which every gRPC
/// deployment sets: streams have no length) and upstream connections kept alive, as the nginx gRPC guides advise.
/// </summary>
internal sealed record NginxSite
{
    /// <summary>The upstream's port on 127.0.0.1.</summary>
    public required int UpstreamPort { get; init; }

    /// <summary>Listen with TLS (<c>listen ... ssl http2</c>) with the test server certificate; null: h2c.</summary>
    public TestCertificates? ListenerTls { get; init; }

    /// <summary>Reach the upstream over TLS (<c>grpcs://</c>), verifying its certificate against the test CA; null: h2c.</summary>
    public TestCertificates? UpstreamTls { get; init; }

    /// <summary>Upstream connections kept for reuse (<c>keepalive</c> in the upstream block); 0: a new connection per call.</summary>
    public int UpstreamKeepAlive { get; init; } = 16;

    /// <summary>Calls on one client connection before nginx closes it with GOAWAY (<c>keepalive_requests</c>).</summary>
    public int KeepAliveRequests { get; init; } = 1000;

    /// <summary>How long an idle client connection is kept (<c>keepalive_timeout</c>).</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(75);

    /// <summary>Streams at once on one client connection (<c>http2_max_concurrent_streams</c>).</summary>
    public int MaxConcurrentStreams { get; init; } = 128;
}
