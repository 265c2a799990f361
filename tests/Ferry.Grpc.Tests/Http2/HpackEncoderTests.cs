using System.Buffers;
using Ferry.Grpc.Http2;
using static Ferry.Grpc.Tests.Http2.HpackTestSupport;

namespace Ferry.Grpc.Tests.Http2;

public sealed class HpackEncoderTests
{
    [Theory]
    [InlineData(":method", "GET", "82")]
    [InlineData(":method", "POST", "83")]
    [InlineData(":path", "/", "84")]
    [InlineData(":scheme", "http", "86")]
    [InlineData(":scheme", "https", "87")]
    [InlineData(":status", "200", "88")]
    [InlineData(":status", "500", "8e")]
    [InlineData("accept-encoding", "gzip, deflate", "90")]
    [InlineData("www-authenticate", "", "bd")]
    public void Full_static_matches_are_indexed(string name, string value, string expected)
    {
        Assert.Equal(Hex(expected), EncodeBlock(new HpackEncoder(), (name, value)));
    }

    [Fact]
    public void Every_static_name_is_found_at_its_first_entry()
    {
        for (var index = 1; index <= HpackStaticTable.Count; index++)
        {
            var name = HpackStaticTable.Get(index).Name;
            var first = Enumerable.Range(1, index).First(i => HpackStaticTable.Get(i).Name == name);
            Assert.Equal(first, HpackStaticTable.FirstIndexOf(name));
        }

        Assert.Equal(0, HpackStaticTable.FirstIndexOf("grpc-status"));
        Assert.Equal(0, HpackStaticTable.FirstIndexOf(":Path"));
        Assert.Equal(0, HpackStaticTable.FirstIndexOf(""));
    }

    [Fact]
    public void Per_call_fields_are_literals_without_indexing()
    {
        var encoder = new HpackEncoder();
        // grpc-message, grpc-timeout (new names), a custom -bin header.
        Assert.Equal(
            Hex("00 0c 677270632d6d657373616765 04 6f6f7073  00 0c 677270632d74696d656f7574 02 3153  00 05 782d62696e 01 ff"),
            EncodeBlock(encoder, ("grpc-message", "oops"), ("grpc-timeout", "1S"), ("x-bin", "\u00ff")));
        Assert.Equal(0, encoder.DynamicTable.Count);
    }

    [Fact]
    public void Repeating_fields_are_indexed_after_the_first_call()
    {
        var encoder = new HpackEncoder();
        // te is a new name; content-type is static name 31, with incremental indexing (6-bit prefix).
        Assert.Equal(
            Hex("40 02 7465 08 747261696c657273  5f 10 6170706c69636174696f6e2f67727063"),
            EncodeBlock(encoder, ("te", "trailers"), ("content-type", "application/grpc")));
        Assert.Equal(Hex("bf be"), EncodeBlock(encoder, ("te", "trailers"), ("content-type", "application/grpc")));

        // A new value for a name already in the dynamic table: indexed name 63 (te), and a new entry.
        Assert.Equal(Hex("7f00 01 78"), EncodeBlock(encoder, ("te", "x")));
        Assert.Equal([("te", "x"), ("content-type", "application/grpc"), ("te", "trailers")], Entries(encoder.DynamicTable));
    }

    [Fact]
    public void A_forwarded_calls_path_and_status_are_indexed_after_the_first_call()
    {
        var encoder = new HpackEncoder();
        // :path is static name 4 (incremental indexing, 6-bit prefix); grpc-status is a new name.
        Assert.Equal(Hex("44 04 2f612f62  40 0b 677270632d737461747573 01 30"), EncodeBlock(encoder, (":path", "/a/b"), ("grpc-status", "0")));
        Assert.Equal(Hex("bf be"), EncodeBlock(encoder, (":path", "/a/b"), ("grpc-status", "0")));
    }

    [Fact]
    public void Sensitive_fields_are_never_indexed()
    {
        var encoder = new HpackEncoder();
        // authorization is static name 23: 4-bit prefix 15 plus 8.
        Assert.Equal(Hex("1f08 03 612062  1f11 01 63"), EncodeBlock(encoder, ("authorization", "a b"), ("cookie", "c")));
        Assert.Equal(Hex("1f08 03 612062"), EncodeBlock(encoder, ("authorization", "a b")));
        Assert.Equal(0, encoder.DynamicTable.Count);
    }

    [Fact]
    public void Names_are_lowercased()
    {
        var encoder = new HpackEncoder();
        Assert.Equal(Hex("83 00 03 782d61 01 76"), EncodeBlock(encoder, (":METHOD", "POST"), ("X-A", "v")));
        Assert.Equal(Hex("5f 10 6170706c69636174696f6e2f67727063"), EncodeBlock(encoder, ("Content-Type", "application/grpc")));
        Assert.Equal(Hex("be"), EncodeBlock(encoder, ("content-type", "application/grpc")));
    }

    [Fact]
    public void Characters_above_latin1_are_rejected_without_writing()
    {
        var encoder = new HpackEncoder();
        var output = new ArrayBufferWriter<byte>();
        encoder.BeginBlock(output);
        Assert.Throws<ArgumentException>(() => encoder.Encode("x-a", "\u0100", output));
        Assert.Throws<ArgumentException>(() => encoder.Encode("x-\u20ac", "v", output));
        Assert.Throws<ArgumentException>(() => encoder.Encode("user-agent", "caf\u00e9 \u2603", output));
        Assert.Equal(0, output.WrittenCount);
        Assert.Equal(0, encoder.DynamicTable.Count);
    }

    [Fact]
    public void A_field_too_large_for_the_table_is_not_indexed()
    {
        var encoder = new HpackEncoder();
        var agent = new string('a', 4096);
        var block = EncodeBlock(encoder, ("user-agent", agent));
        Assert.Equal(Hex("0f2b 7f81 1f"), block[..5]);
        Assert.Equal(0, encoder.DynamicTable.Count);
    }

    [Fact]
    public void Table_size_changes_are_signalled_at_the_next_block()
    {
        var encoder = new HpackEncoder();
        EncodeBlock(encoder, ("te", "trailers"));
        Assert.Equal(1, encoder.DynamicTable.Count);

        encoder.SetPeerMaxTableSize(65536); // above our own limit: nothing changes
        Assert.Equal(Hex("82"), EncodeBlock(encoder, (":method", "GET")));

        encoder.SetPeerMaxTableSize(0);
        Assert.Equal(Hex("20 82"), EncodeBlock(encoder, (":method", "GET")));
        Assert.Equal(0, encoder.DynamicTable.Count);

        encoder.SetPeerMaxTableSize(100);
        Assert.Equal(Hex("3f45 82"), EncodeBlock(encoder, (":method", "GET")));

        // A dip below the current size and back is signalled as both sizes.
        EncodeBlock(encoder, ("te", "trailers"));
        encoder.SetPeerMaxTableSize(40);
        encoder.SetPeerMaxTableSize(4096);
        Assert.Equal(Hex("3f09 3fe11f 82"), EncodeBlock(encoder, (":method", "GET")));
        Assert.Equal(0, encoder.DynamicTable.Count);
        Assert.Equal(4096, encoder.DynamicTable.MaxSize);

        // So is a dip that ends back at the current size; a rise that ends there is not.
        encoder.SetPeerMaxTableSize(2000);
        encoder.SetPeerMaxTableSize(1000);
        encoder.SetPeerMaxTableSize(4096);
        Assert.Equal(Hex("3fc907 3fe11f 82"), EncodeBlock(encoder, (":method", "GET")));
        encoder.SetPeerMaxTableSize(8000);
        encoder.SetPeerMaxTableSize(4096);
        Assert.Equal(Hex("82"), EncodeBlock(encoder, (":method", "GET")));
    }

    [Fact]
    public void Random_header_lists_round_trip_and_keep_the_tables_in_sync()
    {
        var random = new Random(7540);
        var encoder = new HpackEncoder();
        var decoder = new HpackDecoder(4096, int.MaxValue);
        for (var block = 0; block < 400; block++)
        {
            switch (block)
            {
                case 100:
                    encoder.SetPeerMaxTableSize(0);
                    break;
                case 150:
                    encoder.SetPeerMaxTableSize(100);
                    break;
                case 200:
                    encoder.SetPeerMaxTableSize(4096);
                    break;
                case 250:
                    encoder.SetPeerMaxTableSize(0);
                    encoder.SetPeerMaxTableSize(300);
                    break;
                case 300:
                    encoder.SetPeerMaxTableSize(100000);
                    break;
            }

            var fields = Enumerable.Range(0, random.Next(0, 15)).Select(_ => RandomField(random)).ToArray();
            var decoded = Decode(decoder, EncodeBlock(encoder, fields));
            Assert.Equal(fields.Select(f => (f.Name.ToLowerInvariant(), f.Value)), decoded);
            Assert.Equal(Entries(encoder.DynamicTable), Entries(decoder.DynamicTable));
            Assert.Equal(encoder.DynamicTable.Size, decoder.DynamicTable.Size);
            Assert.Equal(encoder.DynamicTable.MaxSize, decoder.DynamicTable.MaxSize);
        }
    }

    private static (string Name, string Value) RandomField(Random random)
    {
        string Pick(params string[] choices) => choices[random.Next(choices.Length)];
        string Text(int maxLength) => new(Enumerable.Range(0, random.Next(0, maxLength)).Select(_ => (char)random.Next(0x20, 0x100)).ToArray());

        return random.Next(16) switch
        {
            0 => (":method", Pick("POST", "GET", "PUT")),
            1 => (":scheme", Pick("http", "https")),
            2 => (":path", "/pkg.Service/" + Text(20)),
            3 => (":authority", Pick("a.example", "b.example:8443", "c")),
            4 => ("content-type", Pick("application/grpc", "application/grpc+proto", "application/json")),
            5 => ("te", "trailers"),
            6 => ("user-agent", Pick("grpc-dotnet/2", "ferry/1.0", new string('u', 300), new string('v', 5000))),
            7 => (Pick("grpc-accept-encoding", "grpc-encoding", "accept-encoding"), Pick("gzip", "identity,gzip", "gzip, deflate")),
            8 => ("grpc-timeout", random.Next(1, 100000) + "m"),
            9 => (Pick("authorization", "proxy-authorization", "cookie", "set-cookie"), Text(40)),
            10 => ("x-custom-" + random.Next(5), Text(30)),
            11 => ("trace-bin", Text(60)),
            12 => (Pick("X-Upper", "Content-Type", "TE", "User-Agent"), Pick("v", "application/grpc", "trailers")),
            13 => (Pick("accept", "date", "server", "via"), Pick(string.Empty, Text(10))),
            14 => ("x-empty", string.Empty),
            _ => (":status", Pick("200", "204", "404", "418")),
        };
    }

    private static byte[] EncodeBlock(HpackEncoder encoder, params (string Name, string Value)[] fields)
    {
        var output = new ArrayBufferWriter<byte>();
        encoder.BeginBlock(output);
        foreach (var (name, value) in fields)
        {
            encoder.Encode(name, value, output);
        }

        return output.WrittenSpan.ToArray();
    }
}
