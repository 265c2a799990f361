using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>
/// What a caller writes a header block through: request headers on a client connection, response headers and
/// trailers on a server connection. Fields are collected first and measured; the connection then encodes them under
/// its lock (HPACK state must advance in the order blocks are sent) only if it sends the block: a block refused for
/// its size, or whose caller failed half-way, leaves the peer's and our HPACK tables as they were.
/// </summary>
internal sealed class Http2HeaderWriter
{
    private readonly HpackEncoder _encoder;
    private readonly PooledBufferWriter _block = new();
    private readonly List<KeyValuePair<string, string>> _fields = [];

    public Http2HeaderWriter(HpackEncoder encoder) => _encoder = encoder;

    public void Add(string name, string value) => AddOctets(name, AsOctets(value));

    /// <summary>
    /// Adds a field whose value already holds octets, one char each, as <see cref="HpackDecoder"/> produces them
    /// (headers received from a peer): it is written unchanged.
    /// </summary>
    public void AddOctets(string name, string value)
    {
        _fields.Add(new(name, value));
        ListSize += name.Length + value.Length + 32;
    }

    /// <summary>The size of the fields added since <see cref="Begin"/> as SETTINGS_MAX_HEADER_LIST_SIZE counts it (RFC 9113 section 6.5.2).</summary>
    internal long ListSize { get; private set; }

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

    internal void Begin()
    {
        _fields.Clear();
        ListSize = 0;
    }

    /// <summary>Encodes the fields added since <see cref="Begin"/>, advancing the HPACK state: only for a block that is sent.</summary>
    internal ReadOnlySpan<byte> Encode()
    {
        _block.Reset();
        _encoder.BeginBlock(_block);
        foreach (var (name, value) in _fields)
        {
            _encoder.Encode(name, value, _block);
        }

        _fields.Clear();
        return _block.WrittenSpan;
    }

    /// <summary>The error for a block over the peer's SETTINGS_MAX_HEADER_LIST_SIZE.</summary>
    internal HeaderListTooLargeException TooLarge(string what, string peer, long limit) =>
        new($"The {what} ({ListSize} bytes as HTTP/2 counts them) exceed the {peer}'s limit of {limit} bytes (SETTINGS_MAX_HEADER_LIST_SIZE).");

    internal void Release() => _block.Dispose();
}
