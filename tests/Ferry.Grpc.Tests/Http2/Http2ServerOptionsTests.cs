using Ferry.Grpc.Http2;

namespace Ferry.Grpc.Tests.Http2;

public sealed class Http2ServerOptionsTests
{
    [Fact]
    public void The_defaults_are_valid() => new Http2ServerOptions().Validate();

    private static readonly Dictionary<string, Http2ServerOptions> InvalidOptions = new()
    {
        ["streams"] = new() { MaxConcurrentStreams = 0 },
        ["small frames"] = new() { MaxFrameSize = 16_383 },
        ["large frames"] = new() { MaxFrameSize = 16_777_216 },
        ["connection window"] = new() { InitialConnectionWindow = 1000 },
        ["handshake"] = new() { HandshakeTimeout = TimeSpan.Zero },
        ["output"] = new() { MaxBufferedOutput = 100 },
    };

    [Theory]
    [InlineData("streams", nameof(Http2ServerOptions.MaxConcurrentStreams))]
    [InlineData("small frames", nameof(Http2ServerOptions.MaxFrameSize))]
    [InlineData("large frames", nameof(Http2ServerOptions.MaxFrameSize))]
    [InlineData("connection window", nameof(Http2ServerOptions.InitialConnectionWindow))]
    [InlineData("handshake", nameof(Http2ServerOptions.HandshakeTimeout))]
    [InlineData("output", nameof(Http2ServerOptions.MaxBufferedOutput))]
    public void An_out_of_range_value_is_refused_by_name(string example, string field)
    {
        var options = InvalidOptions[example];
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal(field, error.ParamName);
        Assert.Contains($"Http2ServerOptions.{field} must be", error.Message);
    }
}
