using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>
/// What a caller writes a header block through: request headers on a client connection, response headers and
/// trailers on a server connection. It encodes straight into the connection's header block, under the connection's
/// lock, because HPACK state must advance in the order blocks are sent.
/// </summary>
internal sealed class Http2HeaderWriter
{
    private readonly HpackEncoder _encoder;
    private readonly PooledBufferWriter _block = new();

    public Http2HeaderWriter(HpackEncoder encoder) => _encoder = encoder;

    public void Add(string name, string value) => _encoder.Encode(name, AsOctets(value), _block);

    /// <summary>
    /// Adds a field whose value already holds octets, one char each, as <see cref="HpackDecoder"/> produces them
    /// (headers received from a peer): it is written unchanged.
    /// </summary>
    public void AddOctets(string name, string value) => _encoder.Encode(name, value, _block);

    /// <summary>
    /// Kestrel decodes header values as UTF-8, while HPACK here writes one byte a char: a value with non-ASCII
    /// characters is turned back into its UTF-8 bytes (one char each), so the backend receives what the client sent.
    /// </summary>
    private static string AsOctets(string value)
    {
        foreach (var c in value)
        {
            if (c > 0x7F)
            {
                return System.Text.Encoding.Latin1.GetString(System.Text.Encoding.UTF8.GetBytes(value));
            }
        }

        return value;
    }

    internal ReadOnlySpan<byte> Block => _block.WrittenSpan;

    internal void Begin()
    {
        _block.Reset();
        _encoder.BeginBlock(_block);
    }

    internal void Release() => _block.Dispose();
}
