using Ferry.Grpc.Tests.Interop;

namespace Ferry.Grpc.Tests.Proxies;

/// <summary>
/// The interop suite through nginx (<c>grpc_pass</c>) and HAProxy (<c>proto h2</c>) to Ferry's server: Ferry's client
/// in process, and the Python (grpcio) and Node (grpc-js) clients as child processes, in plaintext and with TLS on
/// both of the proxy's sides. These are the L7 proxies most often put in front of gRPC services; each decodes and
/// re-encodes every header block, frames DATA its own way and turns client resets into upstream resets, so Ferry's
/// server must answer in the forms they pass on (trailers-only responses, status in trailers) and Ferry's client
/// must read what they send back. Cases are asserted as directly against Ferry's server: every case passes, or is
/// the peer's documented SKIP.
/// </summary>
public sealed class FerryServerBehindProxyTests(ProxyFrontedServerFixture fixture) : IClassFixture<ProxyFrontedServerFixture>
{
    [ProxyTheory]
    [MemberData(nameof(ProxyCases.FerryClient), MemberType = typeof(ProxyCases))]
    public Task Ferry_client(ProxyKind proxy, TransportSecurity security, string testCase) =>
        fixture.AssertFerryCaseAsync(proxy, security, testCase);

    [ProxyPeerTheory]
    [MemberData(nameof(ProxyCases.PeerClients), MemberType = typeof(ProxyCases))]
    public async Task Peer_client(Peer peer, ProxyKind proxy, TransportSecurity security, string testCase)
    {
        // Kestrel, which hosts this server, resets a stream with NO_ERROR right behind its status when the client has
        // not ended the request yet (the bidi half of status_code_and_message fails on its first message; the server
        // ends timeout_on_sleeping_server's open bidi call at its deadline); HAProxy passes the reset on as CANCEL,
        // which can reach grpcio before the status. grpcio's own server behind HAProxy does the same (6 runs in 10).
        // Ferry's HTTP/2 server, which the gateway runs, waits for the client's END_STREAM first, and the gateway
        // tests through HAProxy hold it to PASS.
        var knownFailure = peer == Peer.Python && proxy == ProxyKind.Haproxy && testCase is "status_code_and_message" or "timeout_on_sleeping_server"
            ? "Received RST_STREAM with error code 8"
            : null;
        (await fixture.GetPeerRunAsync(peer, proxy, security)).AssertCase(peer, testCase, knownFailure);
    }
}
