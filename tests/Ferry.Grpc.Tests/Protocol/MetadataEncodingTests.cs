using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Tests.Protocol;

public sealed class MetadataEncodingTests
{
    [Theory]
    [InlineData("x-request-id")]
    [InlineData("a")]
    [InlineData("0-9_a.z")]
    [InlineData("trace-bin")]
    public void Accepts_keys_of_lowercase_digits_dash_underscore_dot(string key)
    {
        var entry = key.EndsWith("-bin", StringComparison.Ordinal) ? new Metadata.Entry(key, [1, 2]) : new Metadata.Entry(key, "v");
        Assert.Equal(key, entry.Key);
    }

    [Fact]
    public void Upper_case_keys_are_lowered_as_HTTP2_requires()
    {
        Assert.Equal("x-user", new Metadata.Entry("X-User", "v").Key);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("colon:")]
    [InlineData(":path")]
    [InlineData("slash/")]
    [InlineData("ümlaut")]
    [InlineData("tab\t")]
    public void Rejects_keys_with_other_characters(string key)
    {
        Assert.Throws<ArgumentException>(() => new Metadata.Entry(key, "v"));
    }

    [Fact]
    public void Rejects_empty_and_null_keys()
    {
        Assert.ThrowsAny<ArgumentException>(() => new Metadata.Entry("", "v"));
        Assert.ThrowsAny<ArgumentException>(() => new Metadata.Entry(null!, "v"));
    }

    [Theory]
    [InlineData("new\nline")]
    [InlineData("del\u007f")]
    [InlineData("é")]
    public void Rejects_ascii_values_outside_printable_ascii(string value)
    {
        Assert.Throws<ArgumentException>(() => new Metadata.Entry("k", value));
    }

    [Fact]
    public void Binary_keys_take_bytes_and_other_keys_take_strings()
    {
        Assert.Throws<ArgumentException>(() => new Metadata.Entry("k-bin", "text"));
        Assert.Throws<ArgumentException>(() => new Metadata.Entry("k", [1]));
    }

    [Theory]
    [InlineData(new byte[0], "")]
    [InlineData(new byte[] { 0xFF }, "/w")]
    [InlineData(new byte[] { 0xFF, 0xFE }, "//4")]
    [InlineData(new byte[] { 0xFF, 0xFE, 0xFD }, "//79")]
    [InlineData(new byte[] { 0, 1, 2, 3 }, "AAECAw")]
    public void Binary_values_are_sent_as_unpadded_base64(byte[] value, string expected)
    {
        Assert.Equal(expected, MetadataEncoding.EncodeValue(new Metadata.Entry("k-bin", value)));
    }

    [Theory]
    [InlineData("AAECAw")]
    [InlineData("AAECAw==")]
    [InlineData(" AAECAw== ")]
    public void Binary_values_decode_padded_or_unpadded(string wire)
    {
        var metadata = new Metadata();
        Assert.True(MetadataEncoding.TryDecode("k-bin", wire, metadata));
        Assert.Equal(new byte[] { 0, 1, 2, 3 }, Assert.Single(metadata).ValueBytes);
    }

    [Theory]
    [InlineData("AQ,Ag")]
    [InlineData("AQ==,Ag==")]
    [InlineData("AQ==, Ag")]
    [InlineData("AQ, Ag==")]
    public void Binary_values_joined_with_commas_decode_to_one_entry_each(string wire)
    {
        // What HttpClient sends for a repeated header, and what an intermediary may make of separate fields.
        var metadata = new Metadata();
        Assert.True(MetadataEncoding.TryDecode("k-bin", wire, metadata));
        Assert.Equal([[1], [2]], metadata.Select(e => e.ValueBytes));
    }

    [Fact]
    public void An_empty_binary_value_is_empty_bytes()
    {
        var metadata = new Metadata();
        Assert.True(MetadataEncoding.TryDecode("k-bin", "", metadata));
        Assert.Empty(Assert.Single(metadata).ValueBytes);
    }

    [Theory]
    [InlineData("A")]
    [InlineData("!!!!")]
    [InlineData("AQ,A")]
    [InlineData("A,AQ")]
    public void Undecodable_binary_values_are_refused_whole(string wire)
    {
        var metadata = new Metadata();
        Assert.False(MetadataEncoding.TryDecode("k-bin", wire, metadata));
        Assert.Empty(metadata);
    }

    [Fact]
    public void Binary_values_round_trip_through_the_wire_encoding()
    {
        var random = new Random(42);
        for (var length = 0; length < 64; length++)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            var wire = MetadataEncoding.EncodeValue(new Metadata.Entry("blob-bin", bytes));
            var metadata = new Metadata();
            Assert.True(MetadataEncoding.TryDecode("blob-bin", wire, metadata));
            Assert.Equal(bytes, Assert.Single(metadata).ValueBytes);
        }
    }

    [Fact]
    public void Ascii_values_decode_as_is_and_unprintable_ones_are_refused()
    {
        var metadata = new Metadata();
        Assert.True(MetadataEncoding.TryDecode("k", "a, b", metadata));
        Assert.Equal("a, b", Assert.Single(metadata).Value);
        Assert.False(MetadataEncoding.TryDecode("k", "caf\u00e9", metadata));
        Assert.Single(metadata);
    }

    [Theory]
    [InlineData("grpc-timeout")]
    [InlineData("grpc-status")]
    [InlineData("grpc-message")]
    [InlineData("grpc-encoding")]
    [InlineData("grpc-accept-encoding")]
    [InlineData("grpc-anything")]
    [InlineData("content-type")]
    [InlineData("te")]
    [InlineData("host")]
    [InlineData("connection")]
    [InlineData("transfer-encoding")]
    [InlineData("upgrade")]
    [InlineData("keep-alive")]
    [InlineData("proxy-connection")]
    [InlineData("content-length")]
    public void Reserved_headers_are_rejected_on_send(string key)
    {
        var metadata = new Metadata { { key, "x" } };
        var error = Assert.Throws<ArgumentException>(() => MetadataEncoding.ValidateForSend(metadata));
        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void Ordinary_metadata_and_status_details_may_be_sent()
    {
        var metadata = new Metadata
        {
            { "x-user", "alice" },
            { "trace-bin", new byte[] { 1 } },
            { "grpc-status-details-bin", new byte[] { 2 } },
            { "grpcish", "ok" },
        };
        MetadataEncoding.ValidateForSend(metadata);
    }

    [Theory]
    [InlineData(":path")]
    [InlineData("content-type")]
    [InlineData("grpc-status")]
    [InlineData("grpc-message")]
    [InlineData("grpc-timeout")]
    [InlineData("te")]
    public void Transport_headers_are_not_surfaced_as_metadata(string key)
    {
        Assert.True(MetadataEncoding.IsTransportHeader(key));
    }

    [Theory]
    [InlineData("x-user")]
    [InlineData("grpc-status-details-bin")]
    [InlineData("user-agent")]
    public void Other_headers_are_surfaced_as_metadata(string key)
    {
        Assert.False(MetadataEncoding.IsTransportHeader(key));
    }

    [Fact]
    public void Get_returns_the_last_entry_case_insensitively()
    {
        var metadata = new Metadata { { "k", "1" }, { "k", "2" } };
        Assert.Equal("2", metadata.GetValue("K"));
        Assert.Equal(["1", "2"], metadata.GetAll("k").Select(e => e.Value));
        Assert.Throws<InvalidOperationException>(() => Metadata.Empty.Add("k", "v"));
    }
}
