using Ferry.Grpc.Tests.Interop;
using Ferry.Grpc.Tests.Proxies;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// The interop suite with nginx (<c>grpc_pass</c>) or HAProxy (<c>proto h2</c>) in front of the gateway, as an edge
/// proxy or ingress is put in front of a gRPC gateway: Ferry's client in process, and the Python (grpcio) and Node
/// (grpc-js) clients as child processes, in plaintext and with TLS on both of the proxy's sides. The gateway then
/// serves the proxy's HTTP/2 client (its own HPACK, DATA framing, window updates and resets), not only gRPC
/// libraries. Every case passes or is the peer's documented SKIP, as against Ferry's server directly.
/// </summary>
public sealed class ProxyInFrontOfGatewayTests(ProxyFrontedGatewayFixture fixture) : IClassFixture<ProxyFrontedGatewayFixture>
{
    [ProxyTheory]
    [MemberData(nameof(ProxyCases.FerryClient), MemberType = typeof(ProxyCases))]
    public Task Ferry_client(ProxyKind proxy, TransportSecurity security, string testCase) =>
        fixture.AssertFerryCaseAsync(proxy, security, testCase);

    [ProxyPeerTheory]
    [MemberData(nameof(ProxyCases.PeerClients), MemberType = typeof(ProxyCases))]
    public async Task Peer_client(Peer peer, ProxyKind proxy, TransportSecurity security, string testCase) =>
        (await fixture.GetPeerRunAsync(peer, proxy, security)).AssertCase(peer, testCase);
}
