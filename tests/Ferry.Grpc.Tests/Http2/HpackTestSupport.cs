using Ferry.Grpc.Http2;

namespace Ferry.Grpc.Tests.Http2;

internal sealed class HeaderCollector : IHpackHeaderSink
{
    public List<(string Name, string Value)> Headers { get; } = [];

    public void OnHeader(string name, string value) => Headers.Add((name, value));
}

internal static class HpackTestSupport
{
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    public static List<(string Name, string Value)> Decode(HpackDecoder decoder, string hex) => Decode(decoder, Hex(hex));

    public static List<(string Name, string Value)> Decode(HpackDecoder decoder, byte[] block)
    {
        var collector = new HeaderCollector();
        decoder.Decode(block, collector);
        return collector.Headers;
    }

    public static (string Name, string Value)[] Entries(HpackDynamicTable table)
    {
        var entries = new (string, string)[table.Count];
        for (var index = 0; index < entries.Length; index++)
        {
            entries[index] = table[index];
        }

        return entries;
    }

    /// <summary>Huffman-codes <paramref name="data"/> with RFC 7541 Appendix B, padding with the most significant bits of EOS.</summary>
    public static byte[] HuffmanEncode(ReadOnlySpan<byte> data)
    {
        var output = new List<byte>();
        ulong pending = 0;
        var pendingBits = 0;
        foreach (var symbol in data)
        {
            pending = (pending << Huffman.CodeLengths[symbol]) | Huffman.Codes[symbol];
            pendingBits += Huffman.CodeLengths[symbol];
            while (pendingBits >= 8)
            {
                pendingBits -= 8;
                output.Add((byte)(pending >> pendingBits));
            }
        }

        if (pendingBits > 0)
        {
            output.Add((byte)((pending << (8 - pendingBits)) | (0xFFu >> pendingBits)));
        }

        return [.. output];
    }

    /// <summary>A string field with the H bit and length prefix, as a decoder expects it.</summary>
    public static byte[] StringField(byte[] octets, bool huffman)
    {
        var prefix = new byte[6];
        var length = HpackEncoder.WriteInteger(prefix, octets.Length, 7, huffman ? (byte)0x80 : (byte)0);
        return [.. prefix.AsSpan(0, length), .. octets];
    }
}
