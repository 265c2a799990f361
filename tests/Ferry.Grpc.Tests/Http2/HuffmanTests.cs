using Ferry.Grpc.Http2;
using static Ferry.Grpc.Tests.Http2.HpackTestSupport;

namespace Ferry.Grpc.Tests.Http2;

public sealed class HuffmanTests
{
    [Fact]
    public void Code_table_is_a_complete_canonical_prefix_code()
    {
        // Appendix B is canonical: ordered by (length, symbol), each code is the previous plus one, shifted to its
        // length, and the lengths fill the code space exactly. A transcription slip breaks one of these.
        Assert.Equal(257, Huffman.Codes.Length);
        Assert.Equal(257, Huffman.CodeLengths.Length);
        var symbols = Enumerable.Range(0, 257).OrderBy(s => Huffman.CodeLengths[s]).ThenBy(s => s).ToArray();
        ulong expected = 0;
        ulong kraft = 0;
        for (var i = 0; i < symbols.Length; i++)
        {
            var length = Huffman.CodeLengths[symbols[i]];
            if (i > 0)
            {
                expected = (expected + 1) << (length - Huffman.CodeLengths[symbols[i - 1]]);
            }

            Assert.Equal(expected, Huffman.Codes[symbols[i]]);
            kraft += 1ul << (30 - length);
        }

        Assert.Equal(1ul << 30, kraft);
        Assert.Equal(0x3fffffffu, Huffman.Codes[256]);
    }

    [Fact]
    public void Decodes_every_symbol()
    {
        for (var symbol = 0; symbol < 256; symbol++)
        {
            var encoded = HuffmanEncode([(byte)symbol]);
            var decoded = new byte[Huffman.GetDecodedLengthUpperBound(encoded.Length)];
            Assert.Equal(1, Huffman.Decode(encoded, decoded));
            Assert.Equal(symbol, decoded[0]);
        }
    }

    [Fact]
    public void Decodes_random_byte_strings()
    {
        var random = new Random(7541);
        for (var round = 0; round < 500; round++)
        {
            var data = new byte[random.Next(0, 400)];
            if (round % 2 == 0)
            {
                random.NextBytes(data);
            }
            else
            {
                // Mostly short codes, as real header text is.
                for (var i = 0; i < data.Length; i++)
                {
                    data[i] = (byte)random.Next(0x20, 0x7F);
                }
            }

            var encoded = HuffmanEncode(data);
            var decoded = new byte[Huffman.GetDecodedLengthUpperBound(encoded.Length)];
            var length = Huffman.Decode(encoded, decoded);
            Assert.Equal(data, decoded.AsSpan(0, length).ToArray());
        }
    }

    [Fact]
    public void Decodes_the_rfc_example()
    {
        // RFC 7541 C.4.1: "www.example.com".
        var decoded = new byte[32];
        var length = Huffman.Decode(Hex("f1e3 c2e5 f23a 6ba0 ab90 f4ff"), decoded);
        Assert.Equal("www.example.com"u8.ToArray(), decoded.AsSpan(0, length).ToArray());
    }

    [Fact]
    public void Empty_input_decodes_to_nothing()
    {
        Assert.Equal(0, Huffman.Decode([], []));
    }

    [Theory]
    [InlineData("ffffffff")] // EOS (30 one-bits) inside the data
    [InlineData("1fffffff ff")] // 'a' then EOS
    [InlineData("ff")] // 8 bits of padding
    [InlineData("1fff")] // 'a' then 11 bits of padding
    [InlineData("18")] // 'a' then padding of zeros
    [InlineData("1e")] // 'a' then padding 110
    [InlineData("fe")] // incomplete code ending in a zero bit
    public void Rejects_invalid_data(string hex)
    {
        var encoded = Hex(hex);
        Assert.Throws<HpackDecodingException>(() => Huffman.Decode(encoded, new byte[Huffman.GetDecodedLengthUpperBound(encoded.Length)]));
    }

    [Fact]
    public void Accepts_padding_of_up_to_seven_one_bits()
    {
        // '0' is 00000 and 'B' is 1011101: "0" leaves 3 bits of padding, "00" 6 and "00B" 7.
        var decoded = new byte[8];
        Assert.Equal(1, Huffman.Decode(Hex("07"), decoded));
        Assert.Equal("0"u8.ToArray(), decoded.AsSpan(0, 1).ToArray());
        Assert.Equal(2, Huffman.Decode(Hex("003f"), decoded));
        Assert.Equal("00"u8.ToArray(), decoded.AsSpan(0, 2).ToArray());
        Assert.Equal(3, Huffman.Decode(Hex("002eff"), decoded));
        Assert.Equal("00B"u8.ToArray(), decoded.AsSpan(0, 3).ToArray());
    }

    [Fact]
    public void Upper_bound_assumes_five_bit_codes()
    {
        Assert.Equal(0, Huffman.GetDecodedLengthUpperBound(0));
        Assert.Equal(8, Huffman.GetDecodedLengthUpperBound(5));
        Assert.Equal(int.MaxValue, Huffman.GetDecodedLengthUpperBound(int.MaxValue));
    }

    [Fact]
    public void Rejects_a_destination_below_the_upper_bound()
    {
        Assert.Throws<ArgumentException>(() => Huffman.Decode(Hex("f1e3c2e5f23a"), new byte[8]));
    }
}
