using Ferry.Grpc.Tests.Tls;

namespace Ferry.Grpc.Tests.Proxies;

/// <summary>How a proxy fronts one gRPC upstream on 127.0.0.1.</summary>
internal record ProxySite
{
    /// <summary>The upstream's port on 127.0.0.1.</summary>
    public required int UpstreamPort { get; init; }

    /// <summary>Listen with TLS (ALPN h2) with the test server certificate; null: h2c.</summary>
    public TestCertificates? ListenerTls { get; init; }

    /// <summary>Reach the upstream over TLS, verifying its certificate (name <c>localhost</c>) against the test CA; null: h2c.</summary>
    public TestCertificates? UpstreamTls { get; init; }
}
