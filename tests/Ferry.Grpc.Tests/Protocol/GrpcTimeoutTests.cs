using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Tests.Protocol;

public sealed class GrpcTimeoutTests
{
    public static TheoryData<string, TimeSpan> ValidValues => new()
    {
        { "1H", TimeSpan.FromHours(1) },
        { "2M", TimeSpan.FromMinutes(2) },
        { "3S", TimeSpan.FromSeconds(3) },
        { "250m", TimeSpan.FromMilliseconds(250) },
        { "1500u", TimeSpan.FromMicroseconds(1500) },
        { "1000n", TimeSpan.FromTicks(10) },
        { "0S", TimeSpan.Zero },
        { "00000010m", TimeSpan.FromMilliseconds(10) },
        { "99999999H", TimeSpan.FromHours(99_999_999) },
        { "99999999n", TimeSpan.FromTicks(999_999) },
    };

    [Theory]
    [MemberData(nameof(ValidValues))]
    public void Parses_every_unit(string value, TimeSpan expected)
    {
        Assert.True(GrpcTimeout.TryParse(value, out var timeout));
        Assert.Equal(expected, timeout);
    }

    [Fact]
    public void Nanoseconds_below_one_tick_truncate()
    {
        Assert.True(GrpcTimeout.TryParse("150n", out var timeout));
        Assert.Equal(TimeSpan.FromTicks(1), timeout);
        Assert.True(GrpcTimeout.TryParse("99n", out timeout));
        Assert.Equal(TimeSpan.Zero, timeout);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("10")]
    [InlineData("123456789S")]
    [InlineData("10s")]
    [InlineData("10h")]
    [InlineData("10x")]
    [InlineData("-1S")]
    [InlineData("+1S")]
    [InlineData(" 1S")]
    [InlineData("1 S")]
    [InlineData("1.5S")]
    [InlineData("1SS")]
    [InlineData("１S")]
    public void Rejects_malformed_values(string value)
    {
        Assert.False(GrpcTimeout.TryParse(value, out _));
    }

    public static TheoryData<TimeSpan, string> Formats => new()
    {
        { TimeSpan.FromTicks(1), "100n" },
        { TimeSpan.FromTicks(999_999), "99999900n" },
        { TimeSpan.FromTicks(1_000_000), "100000u" },
        { TimeSpan.FromMilliseconds(250), "250000u" },
        { TimeSpan.FromSeconds(1), "1000000u" },
        { TimeSpan.FromSeconds(10), "10000000u" },
        { TimeSpan.FromSeconds(100), "100000m" },
        { TimeSpan.FromHours(1), "3600000m" },
        { TimeSpan.FromDays(2), "172800S" },
        { TimeSpan.FromDays(2000), "2880000M" },
        { TimeSpan.FromDays(5_000_000), "99999999H" },
        { TimeSpan.MaxValue, "99999999H" },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Formats_with_the_finest_unit_that_fits_in_eight_digits(TimeSpan timeout, string expected)
    {
        Assert.Equal(expected, GrpcTimeout.Format(timeout));
    }

    [Fact]
    public void Zero_and_negative_timeouts_format_as_the_smallest_positive_value()
    {
        Assert.Equal("1n", GrpcTimeout.Format(TimeSpan.Zero));
        Assert.Equal("1n", GrpcTimeout.Format(TimeSpan.FromSeconds(-5)));
    }

    [Theory]
    [InlineData(10_000_001L, "1000001u")]
    [InlineData(1_000_000_001L, "100001m")]
    [InlineData(1_000_000_000_001L, "100001S")]
    public void Format_rounds_up_so_the_server_never_stops_before_the_client(long ticks, string expected)
    {
        Assert.Equal(expected, GrpcTimeout.Format(TimeSpan.FromTicks(ticks)));
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(12_345L)]
    [InlineData(10_000_001L)]
    [InlineData(36_000_000_123L)]
    [InlineData(3_000_000_000_000_007L)]
    public void Format_then_parse_never_shortens_the_timeout(long ticks)
    {
        var timeout = TimeSpan.FromTicks(ticks);
        var formatted = GrpcTimeout.Format(timeout);
        Assert.True(formatted.Length <= 9, formatted);
        Assert.True(GrpcTimeout.TryParse(formatted, out var parsed));
        Assert.True(parsed >= timeout, $"{formatted} parsed to {parsed}, shorter than {timeout}");

        // Eight digits keep the rounding within a few parts per hundred thousand of the timeout.
        Assert.True((parsed - timeout).Ticks <= Math.Max(1, ticks / 50_000), $"{formatted} rounds {timeout} up too far, to {parsed}");
    }
}
