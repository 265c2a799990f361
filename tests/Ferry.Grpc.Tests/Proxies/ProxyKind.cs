namespace Ferry.Grpc.Tests.Proxies;

/// <summary>The L7 proxies users put in front of (and between) gRPC services, as the tests run them.</summary>
public enum ProxyKind
{
    /// <summary>nginx, <c>grpc_pass</c>.</summary>
    Nginx,

    /// <summary>HAProxy, HTTP/2 on both sides (<c>proto h2</c>).</summary>
    Haproxy,
}
