namespace Ferry.Grpc.Tests.KeepAlive;

/// <summary>What a gRPC call made by the raw client got back.</summary>
internal sealed record RawCallResult(byte[] Data, byte[] HeaderBlocks)
{
    /// <summary>One empty message (<c>google.protobuf.Empty</c>): a handler that failed would have sent none.</summary>
    public bool IsOneEmptyMessage => Data.AsSpan().SequenceEqual(new byte[5]);

    /// <summary>
    /// Whether the header blocks carry <c>grpc-status: 0</c> literally. True only for the first response on a
    /// connection: Kestrel does not Huffman-code values, but later responses refer to its dynamic table instead.
    /// </summary>
    public bool HasLiteralGrpcStatusOk => HeaderBlocks.AsSpan().IndexOf("grpc-status\u00010"u8) >= 0;
}
