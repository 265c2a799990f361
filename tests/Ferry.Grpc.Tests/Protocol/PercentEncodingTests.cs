using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Tests.Protocol;

public sealed class PercentEncodingTests
{
    [Theory]
    [InlineData("")]
    [InlineData("plain ASCII, kept as is: ~!@#$^&*()")]
    [InlineData("100% sure")]
    [InlineData("tab\there, newline\nthere, CR\r")]
    [InlineData("\u0000\u001f\u007f")]
    [InlineData("café, naïve, Ærøskøbing")]
    [InlineData("日本語のエラー")]
    [InlineData("emoji 😀 and a non-BMP CJK 𠜎 and music 𝄞")]
    [InlineData("\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n")]
    public void Round_trips(string message)
    {
        var encoded = PercentEncoding.Encode(message);
        Assert.All(encoded, c => Assert.InRange(c, ' ', '~'));
        Assert.Equal(message, PercentEncoding.Decode(encoded));
    }

    [Fact]
    public void Printable_ascii_without_percent_is_returned_unchanged()
    {
        const string message = "Deadline Exceeded (after 5s)";
        Assert.Same(message, PercentEncoding.Encode(message));
    }

    [Theory]
    [InlineData("%", "%25")]
    [InlineData("a b", "a b")]
    [InlineData("é", "%C3%A9")]
    [InlineData("😀", "%F0%9F%98%80")]
    [InlineData("\n", "%0A")]
    [InlineData("\u007f", "%7F")]
    public void Encodes_utf8_bytes_outside_printable_ascii_and_percent(string message, string expected)
    {
        Assert.Equal(expected, PercentEncoding.Encode(message));
    }

    [Theory]
    [InlineData("%c3%a9", "é")]
    [InlineData("%C3%A9", "é")]
    public void Decodes_either_hex_case(string encoded, string expected)
    {
        Assert.Equal(expected, PercentEncoding.Decode(encoded));
    }

    [Theory]
    [InlineData("%", "%")]
    [InlineData("50%", "50%")]
    [InlineData("%4", "%4")]
    [InlineData("a%4", "a%4")]
    [InlineData("%zz", "%zz")]
    [InlineData("%G1 and %1G", "%G1 and %1G")]
    [InlineData("%%41", "%A")]
    [InlineData("%41%", "A%")]
    [InlineData("100%% done", "100%% done")]
    public void Decoding_keeps_malformed_escapes_as_written(string encoded, string expected)
    {
        Assert.Equal(expected, PercentEncoding.Decode(encoded));
    }

    [Fact]
    public void Decoding_invalid_utf8_does_not_fail()
    {
        // A lone continuation byte and a truncated sequence: replaced, never thrown.
        var decoded = PercentEncoding.Decode("bad %80 and %E2%82 end");
        Assert.StartsWith("bad ", decoded);
        Assert.EndsWith(" end", decoded);
        Assert.Contains('\uFFFD', decoded);
    }

    [Fact]
    public void Decoding_tolerates_raw_non_ascii_from_a_lax_peer()
    {
        var decoded = PercentEncoding.Decode("%41 é");
        Assert.StartsWith("A ", decoded);
        Assert.Equal(3, decoded.Length);
    }

    [Fact]
    public void A_long_message_round_trips()
    {
        var message = string.Concat(Enumerable.Repeat("Größe 😀 %", 2_000));
        Assert.Equal(message, PercentEncoding.Decode(PercentEncoding.Encode(message)));
    }
}
