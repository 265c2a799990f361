using Ferry.Grpc.Tests.Interop;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// The interop cases a client/backend pair cannot express, through the gateway exactly as directly: the gateway
/// forwards frames untouched (compressed flags, grpc-encoding, status messages), so it must neither add nor remove
/// an exclusion. A pair with Ferry on one side uses the direct tests' table (<see cref="PeerLimitations"/>); a pair
/// of two peers combines the two libraries' limits, as interop/README.md lists them ("Expected SKIPs with these
/// peers talking to each other"). An excluded case is asserted as the documented SKIP (peer client) or the
/// documented failure (Ferry client), never skipped silently; every other case must PASS.
/// </summary>
internal static class GatewayInteropExpectations
{
    private const string ServerDoesNotCheck = "server does not check request compression";
    private const string GrpcioCannotCompressPerMessage = "grpcio clients cannot choose compression per message";
    private const string GrpcioHidesFlag = "grpcio does not expose the compressed flag of received messages";
    private const string NodeServerCannotCompress = "server cannot compress responses: response compression is not supported by the @grpc/grpc-js server";

    private static readonly IReadOnlyList<(Peer Client, Peer Backend, string Case, string Evidence)> PeerToPeer =
    [
        (Peer.Python, Peer.Python, "client_compressed_unary", ServerDoesNotCheck),
        (Peer.Python, Peer.Python, "server_compressed_unary", GrpcioHidesFlag),
        (Peer.Python, Peer.Python, "client_compressed_streaming", GrpcioCannotCompressPerMessage),
        (Peer.Python, Peer.Python, "server_compressed_streaming", GrpcioHidesFlag),
        (Peer.Python, Peer.Node, "server_compressed_unary", NodeServerCannotCompress),
        (Peer.Python, Peer.Node, "client_compressed_streaming", GrpcioCannotCompressPerMessage),
        (Peer.Python, Peer.Node, "server_compressed_streaming", NodeServerCannotCompress),
        (Peer.Node, Peer.Python, "client_compressed_unary", ServerDoesNotCheck),
        (Peer.Node, Peer.Python, "client_compressed_streaming", ServerDoesNotCheck),
        (Peer.Node, Peer.Node, "server_compressed_unary", NodeServerCannotCompress),
        (Peer.Node, Peer.Node, "server_compressed_streaming", NodeServerCannotCompress),
    ];

    /// <summary>The text a peer client's <c>SKIP case: reason</c> must contain, or null when the case must PASS.</summary>
    public static string? PeerClientSkipEvidence(Peer client, Implementation backend, string testCase)
    {
        if (backend == Implementation.Ferry)
        {
            return PeerLimitations.Find(client, Direction.PeerClientToFerryServer, testCase)?.Evidence;
        }

        var peerBackend = backend.ToPeer();
        return PeerToPeer.SingleOrDefault(e => e.Client == client && e.Backend == peerBackend && e.Case == testCase).Evidence;
    }

    /// <summary>For Ferry's client: the known failure against a peer backend, or null when the case must pass.</summary>
    public static PeerLimitations.Limitation? FerryClientLimitation(Implementation backend, string testCase) =>
        backend == Implementation.Ferry ? null : PeerLimitations.Find(backend.ToPeer(), Direction.FerryClientToPeerServer, testCase);
}
