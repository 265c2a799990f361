namespace Ferry.Grpc.Tests.Interop;

/// <summary>A reference gRPC implementation in <c>interop/</c> (see interop/README.md).</summary>
public enum Peer
{
    /// <summary>Debian's python3-grpcio (grpc core), run as /usr/bin/python3.</summary>
    Python,

    /// <summary>@grpc/grpc-js on node.</summary>
    Node,
}
