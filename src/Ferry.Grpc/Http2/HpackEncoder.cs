using System.Buffers;
using System.Text;

namespace Ferry.Grpc.Http2;

/// <summary>
/// Encodes header blocks (RFC 7541) for one HTTP/2 connection; the caller serializes its use. Fields that repeat
/// call after call on a connection (authority, content-type, te, ...) go into the dynamic table so later calls send
/// them as one index; per-call fields (path, timeout, metadata) are sent as literals without indexing so they do not
/// evict those. Strings are sent as plain octets, not Huffman-coded.
/// </summary>
internal sealed class HpackEncoder
{
    // Our table stays within the protocol default even if the peer allows more: the repeating fields fit easily.
    private const int MaxTableSize = 4096;

    // An int takes at most the prefix octet and 5 continuation octets.
    private const int MaxIntegerLength = 6;

    private const byte Indexed = 0x80;
    private const byte LiteralWithIndexing = 0x40;
    private const byte SizeUpdate = 0x20;
    private const byte LiteralNeverIndexed = 0x10;
    private const byte LiteralWithoutIndexing = 0x00;

    // Table size changes not yet signalled to the peer; -1 when there is none.
    private int _pendingSize = -1;
    private int _smallestPendingSize = int.MaxValue;

    internal HpackDynamicTable DynamicTable { get; } = new(MaxTableSize);

    /// <summary>Takes the peer's SETTINGS_HEADER_TABLE_SIZE; the change is signalled at the start of the next block.</summary>
    public void SetPeerMaxTableSize(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        _pendingSize = Math.Min(size, MaxTableSize);
        _smallestPendingSize = Math.Min(_smallestPendingSize, _pendingSize);
    }

    /// <summary>Starts a header block, writing any pending dynamic table size update; call it before the block's first field.</summary>
    public void BeginBlock(IBufferWriter<byte> output)
    {
        if (_pendingSize < 0)
        {
            return;
        }

        // RFC 7541 section 4.2: if the size dipped below both the current and the final size, signal that dip first
        // so we and the peer evict the same entries, then the final size.
        if (_smallestPendingSize < Math.Min(_pendingSize, DynamicTable.MaxSize))
        {
            WriteSizeUpdate(_smallestPendingSize, output);
        }

        if (_pendingSize != DynamicTable.MaxSize)
        {
            WriteSizeUpdate(_pendingSize, output);
        }

        _pendingSize = -1;
        _smallestPendingSize = int.MaxValue;
    }

    /// <summary>Appends one field. The name is sent lowercased; name and value must be Latin-1 (chars up to U+00FF).</summary>
    public void Encode(string name, string value, IBufferWriter<byte> output)
    {
        var staticIndex = HpackStaticTable.IndexOf(name, value, out var nameIndex);
        if (nameIndex == 0 && name.AsSpan().ContainsAnyInRange('A', 'Z'))
        {
            // A name in the table is lowercase already; only the others need the check.
            name = ToLowerAscii(name);
            staticIndex = HpackStaticTable.IndexOf(name, value, out nameIndex);
        }

        if (staticIndex != 0)
        {
            WriteIndexed(staticIndex, output);
            return;
        }

        if (name is "authorization" or "proxy-authorization" or "cookie" or "set-cookie")
        {
            // Never indexed, so no intermediary stores credentials in a table an attacker could probe (RFC 7541 section 7.1.3).
            WriteLiteral(LiteralNeverIndexed, 4, NameIndex(name, nameIndex), name, value, output);
            return;
        }

        // Fields that repeat from call to call on a connection: indexed once, then one or two bytes each, which also
        // spares the peer decoding them again (a forwarded call's :path and the grpc-status of its trailers).
        if (name is ":authority" or ":path" or "content-type" or "te" or "user-agent" or "grpc-accept-encoding" or "grpc-encoding" or "accept-encoding" or "grpc-status")
        {
            var dynamicIndex = DynamicTable.IndexOf(name, value);
            if (dynamicIndex >= 0)
            {
                WriteIndexed(HpackStaticTable.Count + 1 + dynamicIndex, output);
                return;
            }

            // A field too large for the table would only empty it, so such a field is sent without indexing.
            if ((long)name.Length + value.Length + HpackDynamicTable.EntryOverhead <= DynamicTable.MaxSize)
            {
                WriteLiteral(LiteralWithIndexing, 6, NameIndex(name, nameIndex), name, value, output);
                DynamicTable.Add(name, value);
                return;
            }
        }

        WriteLiteral(LiteralWithoutIndexing, 4, NameIndex(name, nameIndex), name, value, output);
    }

    /// <summary>Writes <paramref name="value"/> as an integer with an N-bit prefix (RFC 7541 section 5.1) after the <paramref name="flags"/> bits; returns the octets written.</summary>
    internal static int WriteInteger(Span<byte> destination, int value, int prefixBits, byte flags)
    {
        var prefixMax = (1 << prefixBits) - 1;
        if (value < prefixMax)
        {
            destination[0] = (byte)(flags | value);
            return 1;
        }

        destination[0] = (byte)(flags | prefixMax);
        var remainder = (uint)(value - prefixMax);
        var written = 1;
        while (remainder >= 0x80)
        {
            destination[written++] = (byte)(remainder | 0x80);
            remainder >>= 7;
        }

        destination[written++] = (byte)remainder;
        return written;
    }

    // Prefers the static table's index for the name, then the dynamic table's; 0 means a literal name.
    private int NameIndex(string name, int staticNameIndex)
    {
        if (staticNameIndex != 0)
        {
            return staticNameIndex;
        }

        var dynamicIndex = DynamicTable.IndexOfName(name);
        return dynamicIndex < 0 ? 0 : HpackStaticTable.Count + 1 + dynamicIndex;
    }

    private void WriteSizeUpdate(int size, IBufferWriter<byte> output)
    {
        output.Advance(WriteInteger(output.GetSpan(MaxIntegerLength), size, 5, SizeUpdate));
        DynamicTable.SetMaxSize(size);
    }

    private static void WriteIndexed(int index, IBufferWriter<byte> output) =>
        output.Advance(WriteInteger(output.GetSpan(MaxIntegerLength), index, 7, Indexed));

    private static void WriteLiteral(byte flags, int prefixBits, int nameIndex, string name, string value, IBufferWriter<byte> output)
    {
        var destination = output.GetSpan((3 * MaxIntegerLength) + name.Length + value.Length);
        var written = WriteInteger(destination, nameIndex, prefixBits, flags);
        if (nameIndex == 0)
        {
            written += WriteString(destination[written..], name, nameof(name));
        }

        written += WriteString(destination[written..], value, nameof(value));
        output.Advance(written);
    }

    private static int WriteString(Span<byte> destination, string text, string parameterName)
    {
        // HTTP/2 carries octets; a char above U+00FF has no single-octet form, so it is a caller bug, not something to mangle.
        if (text.AsSpan().ContainsAnyExceptInRange('\0', '\u00FF'))
        {
            throw new ArgumentException("Header names and values must not contain characters above U+00FF.", parameterName);
        }

        var written = WriteInteger(destination, text.Length, 7, 0);
        return written + Encoding.Latin1.GetBytes(text, destination[written..]);
    }

    private static string ToLowerAscii(string name) => string.Create(name.Length, name, static (chars, source) =>
    {
        for (var index = 0; index < chars.Length; index++)
        {
            var c = source[index];
            chars[index] = c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c;
        }
    });
}
