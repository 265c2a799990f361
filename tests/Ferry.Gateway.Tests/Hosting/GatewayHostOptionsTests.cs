using Ferry.Gateway.Hosting;

namespace Ferry.Gateway.Tests.Hosting;

public sealed class GatewayHostOptionsTests
{
    [Fact]
    public void The_defaults_are_valid() => new GatewayHostOptions().Validate();

    [Theory]
    [InlineData(1024, 4 * 1024 * 1024, 8 * 1024 * 1024, "Http2StreamWindow")]
    [InlineData(1024 * 1024, 512 * 1024, 8 * 1024 * 1024, "Http2ConnectionWindow")]
    [InlineData(2 * 1024 * 1024, 4 * 1024 * 1024, 1024 * 1024, "Http2MaxStreamWindow")]
    public void Windows_out_of_range_are_refused_with_the_field_named(int stream, int connection, int maxStream, string field)
    {
        var options = new GatewayHostOptions { Http2StreamWindow = stream, Http2ConnectionWindow = connection, Http2MaxStreamWindow = maxStream };

        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains($"{nameof(GatewayHostOptions)}.{field}", error.Message);
    }

    [Fact]
    public void A_maximum_equal_to_the_initial_window_is_allowed_and_keeps_windows_fixed() =>
        new GatewayHostOptions { Http2StreamWindow = 2 * 1024 * 1024, Http2MaxStreamWindow = 2 * 1024 * 1024 }.Validate();

    [Theory]
    [InlineData(2048, 32 * 1024 * 1024, "ReceiveBlockSize")]
    [InlineData(2 * 1024 * 1024, 32 * 1024 * 1024, "ReceiveBlockSize")]
    [InlineData(64 * 1024, 32 * 1024, "ReceiveBlockBudget")]
    public void Receive_memory_out_of_range_is_refused_with_the_field_named(int blockSize, long budget, string field)
    {
        var options = new GatewayHostOptions { ReceiveBlockSize = blockSize, ReceiveBlockBudget = budget };

        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains($"{nameof(GatewayHostOptions)}.{field}", error.Message);
    }
}
