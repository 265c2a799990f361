using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>
/// What a caller opening a stream writes its request headers through. It encodes straight into the connection's
/// header block, under the connection's lock, because HPACK state must advance in the order blocks are sent.
/// </summary>
internal sealed class Http2HeaderWriter
{
    private readonly HpackEncoder _encoder;
    private readonly PooledBufferWriter _block = new();

    public Http2HeaderWriter(HpackEncoder encoder) => _encoder = encoder;

    public void Add(string name, string value) => _encoder.Encode(name, value, _block);

    internal ReadOnlySpan<byte> Block => _block.WrittenSpan;

    internal void Begin()
    {
        _block.Reset();
        _encoder.BeginBlock(_block);
    }

    internal void Release() => _block.Dispose();
}
