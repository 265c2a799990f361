using System.Buffers;

namespace Ferry.Grpc.Http2;

/// <summary>
/// Decodes HPACK header blocks (RFC 7541) for one HTTP/2 connection; the dynamic table carries over from block to
/// block, so blocks must be decoded in the order they arrive and from one thread at a time.
/// </summary>
internal sealed class HpackDecoder
{
    // RFC 9113 section 6.5.2: a field's share of the header list size.
    private const int FieldOverhead = 32;

    // Huffman strings that decode to at most this many octets use stack scratch; longer ones rent from the pool.
    private const int StackScratchLength = 256;

    // An int never needs more than 5 continuation octets; more is a peer wasting our time.
    private const int MaxIntegerContinuations = 5;

    private readonly int _maxDynamicTableSize;
    private readonly int _maxHeaderListSize;
    private readonly HpackLiteralCache _literals = new();

    /// <param name="maxDynamicTableSize">The SETTINGS_HEADER_TABLE_SIZE we advertised: the table's initial and largest size.</param>
    /// <param name="maxHeaderListSize">The largest header list, counting name + value + 32 octets per field (RFC 9113).</param>
    public HpackDecoder(int maxDynamicTableSize, int maxHeaderListSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDynamicTableSize);
        ArgumentOutOfRangeException.ThrowIfNegative(maxHeaderListSize);
        _maxDynamicTableSize = maxDynamicTableSize;
        _maxHeaderListSize = maxHeaderListSize;
        DynamicTable = new HpackDynamicTable(maxDynamicTableSize);
    }

    internal HpackDynamicTable DynamicTable { get; }

    /// <summary>Decodes one complete header block (HEADERS plus any CONTINUATION fragments), passing each field to <paramref name="sink"/>.</summary>
    /// <exception cref="HpackDecodingException">The block is malformed; the connection's compression state is lost.</exception>
    /// <exception cref="HeaderListTooLargeException">
    /// The fields exceed the header list limit. The whole block was still decoded, so the dynamic table stays in
    /// sync, but the sink saw only the fields before the limit was crossed.
    /// </exception>
    public void Decode(ReadOnlySpan<byte> headerBlock, IHpackHeaderSink sink)
    {
        var position = 0;
        var fieldSeen = false;
        long headerListSize = 0;
        while (position < headerBlock.Length)
        {
            var first = headerBlock[position];
            string name;
            string value;
            if ((first & 0x80) != 0)
            {
                // 1xxxxxxx: indexed field.
                (name, value) = GetEntry(ReadInteger(headerBlock, ref position, 7));
            }
            else if ((first & 0x40) != 0)
            {
                // 01xxxxxx: literal with incremental indexing.
                name = ReadName(headerBlock, ref position, 6);
                value = ReadString(headerBlock, ref position, isName: false);
                DynamicTable.Add(name, value);
            }
            else if ((first & 0x20) != 0)
            {
                // 001xxxxx: dynamic table size update, allowed only before the first field (RFC 7541 section 4.2).
                if (fieldSeen)
                {
                    throw new HpackDecodingException("Dynamic table size update after the first header field.");
                }

                var size = ReadInteger(headerBlock, ref position, 5);
                if (size > _maxDynamicTableSize)
                {
                    throw new HpackDecodingException($"Dynamic table size update to {size} exceeds the advertised {_maxDynamicTableSize}.");
                }

                DynamicTable.SetMaxSize(size);
                continue;
            }
            else
            {
                // 0000xxxx without indexing, 0001xxxx never indexed: the same to a decoder, except that a never-indexed
                // value (a credential) is not kept in the literal cache either.
                name = ReadName(headerBlock, ref position, 4);
                value = (first & 0x10) == 0 ? ReadRepeatableValue(headerBlock, ref position) : ReadString(headerBlock, ref position, isName: false);
            }

            fieldSeen = true;
            headerListSize += (long)name.Length + value.Length + FieldOverhead;
            if (headerListSize <= _maxHeaderListSize)
            {
                sink.OnHeader(name, value);
            }
        }

        if (headerListSize > _maxHeaderListSize)
        {
            throw new HeaderListTooLargeException($"Header list of {headerListSize} octets exceeds the limit of {_maxHeaderListSize}.");
        }
    }

    /// <summary>Reads an integer with an N-bit prefix (RFC 7541 section 5.1), rejecting anything above <see cref="int.MaxValue"/>.</summary>
    internal static int ReadInteger(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        var prefixMax = (1 << prefixBits) - 1;
        long value = block[position++] & prefixMax;
        if (value < prefixMax)
        {
            return (int)value;
        }

        for (var shift = 0; shift < MaxIntegerContinuations * 7; shift += 7)
        {
            if (position == block.Length)
            {
                throw new HpackDecodingException("Header block ends inside an integer.");
            }

            var octet = block[position++];
            value += (long)(octet & 0x7F) << shift;
            if (value > int.MaxValue)
            {
                throw new HpackDecodingException("Integer exceeds the supported range.");
            }

            if ((octet & 0x80) == 0)
            {
                return (int)value;
            }
        }

        throw new HpackDecodingException("Integer has too many continuation octets.");
    }

    private (string Name, string Value) GetEntry(int index)
    {
        if (index == 0)
        {
            throw new HpackDecodingException("Index 0 is not a valid header field index.");
        }

        if (index <= HpackStaticTable.Count)
        {
            return HpackStaticTable.Get(index);
        }

        var dynamicIndex = index - HpackStaticTable.Count - 1;
        if (dynamicIndex >= DynamicTable.Count)
        {
            throw new HpackDecodingException($"Index {index} is beyond the header tables ({HpackStaticTable.Count + DynamicTable.Count} entries).");
        }

        return DynamicTable[dynamicIndex];
    }

    private string ReadName(ReadOnlySpan<byte> block, ref int position, int prefixBits)
    {
        var index = ReadInteger(block, ref position, prefixBits);
        return index == 0 ? ReadString(block, ref position, isName: true) : GetEntry(index).Name;
    }

    private static string ReadString(ReadOnlySpan<byte> block, ref int position, bool isName)
    {
        var octets = ReadStringOctets(block, ref position, out var huffman);
        return huffman ? DecodeHuffman(octets, isName) : MakeString(octets, isName);
    }

    /// <summary>A literal value sent without indexing: a repeat of a recent one is taken from the cache.</summary>
    private string ReadRepeatableValue(ReadOnlySpan<byte> block, ref int position)
    {
        var octets = ReadStringOctets(block, ref position, out var huffman);
        if (_literals.TryGet(huffman, octets, out var value))
        {
            return value;
        }

        value = huffman ? DecodeHuffman(octets, isName: false) : MakeString(octets, isName: false);
        _literals.Add(huffman, octets, value);
        return value;
    }

    private static ReadOnlySpan<byte> ReadStringOctets(ReadOnlySpan<byte> block, ref int position, out bool huffman)
    {
        if (position == block.Length)
        {
            throw new HpackDecodingException("Header block ends before a string.");
        }

        huffman = (block[position] & 0x80) != 0;
        var length = ReadInteger(block, ref position, 7);
        if (length > block.Length - position)
        {
            throw new HpackDecodingException("Header block ends inside a string.");
        }

        var octets = block.Slice(position, length);
        position += length;
        return octets;
    }

    private static string DecodeHuffman(ReadOnlySpan<byte> encoded, bool isName)
    {
        var upperBound = Huffman.GetDecodedLengthUpperBound(encoded.Length);
        byte[]? rented = null;
        var scratch = upperBound <= StackScratchLength
            ? stackalloc byte[StackScratchLength]
            : (rented = ArrayPool<byte>.Shared.Rent(upperBound));
        try
        {
            var length = Huffman.Decode(encoded, scratch);
            return MakeString(scratch[..length], isName);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static string MakeString(ReadOnlySpan<byte> octets, bool isName) =>
        isName ? HpackKnownStrings.GetName(octets) : HpackKnownStrings.GetValue(octets);
}
