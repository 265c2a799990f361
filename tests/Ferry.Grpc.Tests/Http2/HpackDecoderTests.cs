using Ferry.Grpc.Http2;
using static Ferry.Grpc.Tests.Http2.HpackTestSupport;

namespace Ferry.Grpc.Tests.Http2;

public sealed class HpackDecoderTests
{
    private const string Date21 = "Mon, 21 Oct 2013 20:13:21 GMT";
    private const string Date22 = "Mon, 21 Oct 2013 20:13:22 GMT";
    private const string Location = "https://www.example.com";
    private const string Cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";

    [Fact]
    public void C_2_1_literal_with_indexing()
    {
        var decoder = new HpackDecoder(4096, int.MaxValue);
        Assert.Equal(
            [("custom-key", "custom-header")],
            Decode(decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"));
        AssertTable(decoder, 55, ("custom-key", "custom-header"));
    }

    [Fact]
    public void C_2_2_literal_without_indexing()
    {
        var decoder = new HpackDecoder(4096, int.MaxValue);
        Assert.Equal([(":path", "/sample/path")], Decode(decoder, "040c 2f73 616d 706c 652f 7061 7468"));
        AssertTable(decoder, 0);
    }

    [Fact]
    public void C_2_3_literal_never_indexed()
    {
        var decoder = new HpackDecoder(4096, int.MaxValue);
        Assert.Equal([("password", "secret")], Decode(decoder, "1008 7061 7373 776f 7264 0673 6563 7265 74"));
        AssertTable(decoder, 0);
    }

    [Fact]
    public void C_2_4_indexed()
    {
        var decoder = new HpackDecoder(4096, int.MaxValue);
        Assert.Equal([(":method", "GET")], Decode(decoder, "82"));
        AssertTable(decoder, 0);
    }

    [Fact]
    public void C_3_requests_without_huffman()
    {
        var decoder = new HpackDecoder(4096, int.MaxValue);
        Assert.Equal(
            [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")],
            Decode(decoder, "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"));
        AssertTable(decoder, 57, (":authority", "www.example.com"));

        Assert.Equal(
            [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache")],
            Decode(decoder, "8286 84be 5808 6e6f 2d63 6163 6865"));
        AssertTable(decoder, 110, ("cache-control", "no-cache"), (":authority", "www.example.com"));

        Assert.Equal(
            [(":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value")],
            Decode(decoder, "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"));
        AssertTable(decoder, 164, ("custom-key", "custom-value"), ("cache-control", "no-cache"), (":authority", "www.example.com"));
    }

    [Fact]
    public void C_4_requests_with_huffman()
    {
        var decoder = new HpackDecoder(4096, int.MaxValue);
        Assert.Equal(
            [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")],
            Decode(decoder, "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"));
        AssertTable(decoder, 57, (":authority", "www.example.com"));

        Assert.Equal(
            [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache")],
            Decode(decoder, "8286 84be 5886 a8eb 1064 9cbf"));
        AssertTable(decoder, 110, ("cache-control", "no-cache"), (":authority", "www.example.com"));

        Assert.Equal(
            [(":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value")],
            Decode(decoder, "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"));
        AssertTable(decoder, 164, ("custom-key", "custom-value"), ("cache-control", "no-cache"), (":authority", "www.example.com"));
    }

    [Fact]
    public void C_5_responses_without_huffman_evict()
    {
        var decoder = new HpackDecoder(256, int.MaxValue);
        Assert.Equal(
            [(":status", "302"), ("cache-control", "private"), ("date", Date21), ("location", Location)],
            Decode(decoder,
                "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d " +
                "546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"));
        AssertTable(decoder, 222, ("location", Location), ("date", Date21), ("cache-control", "private"), (":status", "302"));

        Assert.Equal(
            [(":status", "307"), ("cache-control", "private"), ("date", Date21), ("location", Location)],
            Decode(decoder, "4803 3330 37c1 c0bf"));
        AssertTable(decoder, 222, (":status", "307"), ("location", Location), ("date", Date21), ("cache-control", "private"));

        Assert.Equal(
            [(":status", "200"), ("cache-control", "private"), ("date", Date22), ("location", Location), ("content-encoding", "gzip"), ("set-cookie", Cookie)],
            Decode(decoder,
                "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f " +
                "6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b " +
                "2076 6572 7369 6f6e 3d31"));
        AssertTable(decoder, 215, ("set-cookie", Cookie), ("content-encoding", "gzip"), ("date", Date22));
    }

    [Fact]
    public void C_6_responses_with_huffman_evict()
    {
        var decoder = new HpackDecoder(256, int.MaxValue);
        Assert.Equal(
            [(":status", "302"), ("cache-control", "private"), ("date", Date21), ("location", Location)],
            Decode(decoder,
                "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 " +
                "8f0b 97c8 e9ae 82ae 43d3"));
        AssertTable(decoder, 222, ("location", Location), ("date", Date21), ("cache-control", "private"), (":status", "302"));

        Assert.Equal(
            [(":status", "307"), ("cache-control", "private"), ("date", Date21), ("location", Location)],
            Decode(decoder, "4883 640e ffc1 c0bf"));
        AssertTable(decoder, 222, (":status", "307"), ("location", Location), ("date", Date21), ("cache-control", "private"));

        Assert.Equal(
            [(":status", "200"), ("cache-control", "private"), ("date", Date22), ("location", Location), ("content-encoding", "gzip"), ("set-cookie", Cookie)],
            Decode(decoder,
                "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 " +
                "dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07"));
        AssertTable(decoder, 215, ("set-cookie", Cookie), ("content-encoding", "gzip"), ("date", Date22));
    }

    [Fact]
    public void Integers_follow_rfc_7541_c_1()
    {
        var position = 0;
        Assert.Equal(10, HpackDecoder.ReadInteger(Hex("0a"), ref position, 5));
        position = 0;
        Assert.Equal(1337, HpackDecoder.ReadInteger(Hex("1f9a0a"), ref position, 5));
        Assert.Equal(3, position);
        position = 0;
        Assert.Equal(42, HpackDecoder.ReadInteger(Hex("2a"), ref position, 8));
    }

    [Fact]
    public void Integers_round_trip_for_every_prefix()
    {
        var buffer = new byte[6];
        foreach (var value in new[] { 0, 1, 14, 15, 16, 30, 31, 62, 63, 126, 127, 128, 254, 255, 256, 4096, 65535, 1 << 21, int.MaxValue - 1, int.MaxValue })
        {
            for (var prefixBits = 1; prefixBits <= 8; prefixBits++)
            {
                var flags = (byte)(0xFF << prefixBits);
                var written = HpackEncoder.WriteInteger(buffer, value, prefixBits, flags);
                Assert.Equal(flags, (byte)(buffer[0] & flags));
                var position = 0;
                Assert.Equal(value, HpackDecoder.ReadInteger(buffer.AsSpan(0, written), ref position, prefixBits));
                Assert.Equal(written, position);
            }
        }
    }

    [Theory]
    [InlineData("80")] // index 0
    [InlineData("be")] // index 62 with an empty dynamic table
    [InlineData("ff")] // integer prefix says more octets follow; none do
    [InlineData("ff80")] // integer continuation bit set on the last octet
    [InlineData("ffffffffff0f")] // integer above int.MaxValue
    [InlineData("ff808080808000")] // integer with too many continuation octets
    [InlineData("400561626364")] // name of 5 octets, 4 present
    [InlineData("400161")] // block ends before the value
    [InlineData("0f2f00")] // name index 62 (without indexing) beyond the table
    [InlineData("000161 84ffffffff")] // Huffman value holding EOS
    [InlineData("000161 81ff")] // Huffman value with 8 bits of padding
    [InlineData("000161 8118")] // Huffman value whose padding is not ones
    [InlineData("3fe21f")] // size update to 4097 with 4096 advertised
    [InlineData("8220")] // size update after a field
    public void Rejects_malformed_blocks(string hex)
    {
        var decoder = new HpackDecoder(4096, int.MaxValue);
        Assert.Throws<HpackDecodingException>(() => Decode(decoder, hex));
    }

    [Fact]
    public void Size_updates_at_the_start_of_a_block_are_applied()
    {
        var decoder = new HpackDecoder(4096, int.MaxValue);
        Decode(decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
        AssertTable(decoder, 55, ("custom-key", "custom-header"));

        // Down to 0 (evicting everything), then back to the full 4096, before the first field.
        Assert.Equal([(":method", "GET")], Decode(decoder, "20 3fe11f 82"));
        AssertTable(decoder, 0);
        Assert.Equal(4096, decoder.DynamicTable.MaxSize);
    }

    [Fact]
    public void A_table_of_size_zero_stores_nothing()
    {
        var decoder = new HpackDecoder(0, int.MaxValue);
        Assert.Equal([("custom-key", "custom-header")], Decode(decoder, "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"));
        AssertTable(decoder, 0);
        Assert.Throws<HpackDecodingException>(() => Decode(decoder, "be"));
    }

    [Fact]
    public void An_oversized_header_list_is_still_decoded_to_keep_the_table_in_sync()
    {
        // Each field "k_" : "v" counts 2 + 1 + 32 = 35 octets: two fit in 100, the third does not.
        var decoder = new HpackDecoder(4096, 100);
        var collector = new HeaderCollector();
        var block = Hex("4002 6b31 0176  4002 6b32 0176  4002 6b33 0176  4002 6b34 0176");
        Assert.Throws<HeaderListTooLargeException>(() => decoder.Decode(block, collector));
        Assert.Equal([("k1", "v"), ("k2", "v")], collector.Headers);
        AssertTable(decoder, 4 * 35, ("k4", "v"), ("k3", "v"), ("k2", "v"), ("k1", "v"));

        Assert.Equal([("k4", "v"), ("k1", "v")], Decode(decoder, "be c1"));
    }

    [Fact]
    public void A_header_list_exactly_at_the_limit_is_accepted()
    {
        var decoder = new HpackDecoder(4096, 70);
        Assert.Equal([("k1", "v"), ("k2", "v")], Decode(decoder, "4002 6b31 0176  4002 6b32 0176"));
    }

    [Fact]
    public void Static_and_dynamic_entries_return_the_same_strings_every_time()
    {
        var decoder = new HpackDecoder(4096, int.MaxValue);
        var first = Decode(decoder, "82 400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
        var second = Decode(decoder, "82 be");
        Assert.Same(first[0].Name, second[0].Name);
        Assert.Same(first[0].Value, second[0].Value);
        Assert.Same(first[1].Name, second[1].Name);
        Assert.Same(first[1].Value, second[1].Value);
    }

    [Fact]
    public void Well_known_grpc_literals_are_interned()
    {
        var decoder = new HpackDecoder(4096, int.MaxValue);
        byte[] block =
        [
            0x00, .. StringField("grpc-status"u8.ToArray(), huffman: false), .. StringField("0"u8.ToArray(), huffman: false),
            0x00, .. StringField(HuffmanEncode("content-type"u8), huffman: true), .. StringField(HuffmanEncode("application/grpc"u8), huffman: true),
        ];
        var headers = Decode(decoder, block);
        Assert.Equal([("grpc-status", "0"), ("content-type", "application/grpc")], headers);
        Assert.Same("grpc-status", headers[0].Name);
        Assert.Same("0", headers[0].Value);
        Assert.Same("content-type", headers[1].Name);
        Assert.Same("application/grpc", headers[1].Value);
    }

    [Fact]
    public void A_repeated_unindexed_literal_is_decoded_once()
    {
        // nghttp2 sends :path (static name 4) as a Huffman literal without indexing on every request.
        var decoder = new HpackDecoder(4096, int.MaxValue);
        byte[] Path(string path, bool huffman) =>
            [0x04, .. StringField(huffman ? HuffmanEncode(System.Text.Encoding.ASCII.GetBytes(path)) : System.Text.Encoding.ASCII.GetBytes(path), huffman)];

        var first = Decode(decoder, Path("/pkg.Service/Method", huffman: true));
        var again = Decode(decoder, Path("/pkg.Service/Method", huffman: true));
        Assert.Equal([(":path", "/pkg.Service/Method")], again);
        Assert.Same(first[0].Value, again[0].Value);

        // The same text sent plainly, and other text, decode to themselves.
        Assert.Equal([(":path", "/pkg.Service/Method")], Decode(decoder, Path("/pkg.Service/Method", huffman: false)));
        Assert.Equal([(":path", "/pkg.Service/Other")], Decode(decoder, Path("/pkg.Service/Other", huffman: true)));
        AssertTable(decoder, 0);
    }

    [Fact]
    public void Values_unique_to_each_call_do_not_evict_the_repeated_ones()
    {
        var decoder = new HpackDecoder(4096, int.MaxValue);
        byte[] Block(string timeout) =>
        [
            0x04, .. StringField(HuffmanEncode("/a.B/C"u8), huffman: true),
            0x00, .. StringField("grpc-timeout"u8.ToArray(), huffman: false), .. StringField(System.Text.Encoding.ASCII.GetBytes(timeout), huffman: false),
        ];

        var path = Decode(decoder, Block("1000m"))[0].Value;
        for (var call = 0; call < 50; call++)
        {
            var headers = Decode(decoder, Block($"{call}u"));
            Assert.Equal($"{call}u", headers[1].Value);
            Assert.Same(path, headers[0].Value);
        }
    }

    [Fact]
    public void Never_indexed_values_are_not_kept()
    {
        var decoder = new HpackDecoder(4096, int.MaxValue);
        var first = Decode(decoder, "1008 7061 7373 776f 7264 0673 6563 7265 74");
        var again = Decode(decoder, "1008 7061 7373 776f 7264 0673 6563 7265 74");
        Assert.Equal(first, again);
        Assert.NotSame(first[0].Value, again[0].Value);
    }

    [Fact]
    public void Any_octet_round_trips_as_latin1()
    {
        var decoder = new HpackDecoder(4096, int.MaxValue);
        var octets = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var expected = new string(Enumerable.Range(0, 256).Select(i => (char)i).ToArray());
        byte[] block =
        [
            0x00, .. StringField(octets, huffman: false), .. StringField(octets, huffman: false),
            0x00, .. StringField(HuffmanEncode(octets), huffman: true), .. StringField(HuffmanEncode(octets), huffman: true),
        ];
        Assert.Equal([(expected, expected), (expected, expected)], Decode(decoder, block));
    }

    [Fact]
    public void Decodes_random_huffman_and_plain_strings()
    {
        var random = new Random(9113);
        var decoder = new HpackDecoder(4096, int.MaxValue);
        for (var round = 0; round < 200; round++)
        {
            var name = new byte[random.Next(1, 40)];
            var value = new byte[random.Next(0, 600)];
            random.NextBytes(name);
            random.NextBytes(value);
            var huffman = round % 2 == 0;
            byte[] block =
            [
                0x00,
                .. StringField(huffman ? HuffmanEncode(name) : name, huffman),
                .. StringField(huffman ? HuffmanEncode(value) : value, huffman),
            ];
            var header = Assert.Single(Decode(decoder, block));
            Assert.Equal(System.Text.Encoding.Latin1.GetString(name), header.Name);
            Assert.Equal(System.Text.Encoding.Latin1.GetString(value), header.Value);
        }
    }

    private static void AssertTable(HpackDecoder decoder, int size, params (string Name, string Value)[] entries)
    {
        Assert.Equal(entries, Entries(decoder.DynamicTable));
        Assert.Equal(size, decoder.DynamicTable.Size);
    }
}
