using Ferry.Grpc.Tests.Interop;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>A gRPC implementation on one side of the gateway.</summary>
public enum Implementation
{
    /// <summary>Ferry in process: the Ferry interop client, or the interop TestService on a GrpcTestServer.</summary>
    Ferry,

    /// <summary>Python grpcio, as a child process (interop/python).</summary>
    Python,

    /// <summary>Node grpc-js, as a child process (interop/node).</summary>
    Node,
}

/// <summary>
/// Which interop runs go through the gateway. Every client meets every backend once, and the security on each side
/// is chosen so that each client talks to the gateway at least once in plaintext and once over TLS, and the gateway
/// talks to each backend at least once in plaintext and once over TLS (plus one mutual-TLS run on both sides):
/// <code>
///   client \ backend   Ferry           Python          Node            (client->gateway / gateway->backend)
///   Ferry              plain/plain     tls/tls         plain/tls   + mtls/mtls to Node
///   Python             tls/plain       plain/tls       tls/plain
///   Node               plain/tls       tls/plain       tls/tls
/// </code>
/// Running all four security pairs for all nine client/backend pairs would only repeat the same gateway code paths
/// (TLS is terminated and re-originated independently on each side) at four times the run time.
/// </summary>
public static class InteropMatrix
{
    public static IReadOnlyList<InteropRow> Rows { get; } =
    [
        new(Implementation.Ferry, Implementation.Ferry, TransportSecurity.Plaintext, TransportSecurity.Plaintext),
        new(Implementation.Ferry, Implementation.Python, TransportSecurity.Tls, TransportSecurity.Tls),
        new(Implementation.Ferry, Implementation.Node, TransportSecurity.Plaintext, TransportSecurity.Tls),
        new(Implementation.Ferry, Implementation.Node, TransportSecurity.MutualTls, TransportSecurity.MutualTls),
        new(Implementation.Python, Implementation.Ferry, TransportSecurity.Tls, TransportSecurity.Plaintext),
        new(Implementation.Python, Implementation.Python, TransportSecurity.Plaintext, TransportSecurity.Tls),
        new(Implementation.Python, Implementation.Node, TransportSecurity.Tls, TransportSecurity.Plaintext),
        new(Implementation.Node, Implementation.Ferry, TransportSecurity.Plaintext, TransportSecurity.Tls),
        new(Implementation.Node, Implementation.Python, TransportSecurity.Tls, TransportSecurity.Plaintext),
        new(Implementation.Node, Implementation.Node, TransportSecurity.Tls, TransportSecurity.Tls),
    ];

    public static Peer ToPeer(this Implementation implementation) => implementation switch
    {
        Implementation.Python => Peer.Python,
        Implementation.Node => Peer.Node,
        _ => throw new ArgumentOutOfRangeException(nameof(implementation), $"{implementation} is not a child-process peer."),
    };
}

/// <param name="Client">Who calls the gateway.</param>
/// <param name="Backend">Who serves behind it.</param>
/// <param name="ClientSide">Security between the client and the gateway (the gateway's listener).</param>
/// <param name="BackendSide">Security between the gateway and the backend (the cluster's tls).</param>
public sealed record InteropRow(Implementation Client, Implementation Backend, TransportSecurity ClientSide, TransportSecurity BackendSide);
