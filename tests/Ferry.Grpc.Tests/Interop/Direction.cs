namespace Ferry.Grpc.Tests.Interop;

/// <summary>Which side of an interop run is Ferry.</summary>
public enum Direction
{
    FerryClientToPeerServer,
    PeerClientToFerryServer,
}
