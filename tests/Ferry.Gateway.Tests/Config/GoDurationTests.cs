using Ferry.Gateway.Config;

namespace Ferry.Gateway.Tests.Config;

public sealed class GoDurationTests
{
    [Theory]
    [InlineData("250ms", 250 * TimeSpan.TicksPerMillisecond)]
    [InlineData("5s", 5 * TimeSpan.TicksPerSecond)]
    [InlineData("2m", 2 * TimeSpan.TicksPerMinute)]
    [InlineData("1h", TimeSpan.TicksPerHour)]
    [InlineData("1m30s", 90 * TimeSpan.TicksPerSecond)]
    [InlineData("1.5s", 15 * TimeSpan.TicksPerSecond / 10)]
    [InlineData("0s", 0)]
    [InlineData("1h2m3s4ms5us", TimeSpan.TicksPerHour + (2 * TimeSpan.TicksPerMinute) + (3 * TimeSpan.TicksPerSecond) + (4 * TimeSpan.TicksPerMillisecond) + 50)]
    [InlineData("300ns", 3)]
    [InlineData("10µs", 100)]
    [InlineData(".5h", 30 * TimeSpan.TicksPerMinute)]
    [InlineData("-1.5m", -90 * TimeSpan.TicksPerSecond)]
    public void ParsesGoDurations(string text, long ticks)
    {
        Assert.True(GoDuration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromTicks(ticks), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("0")]
    [InlineData("s")]
    [InlineData("5 s")]
    [InlineData("5sec")]
    [InlineData("1d")]
    [InlineData("1.2.3s")]
    [InlineData("5S")]
    [InlineData("99999999999999h")]
    public void RefusesEverythingElse(string text)
    {
        Assert.False(GoDuration.TryParse(text, out _));
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(250 * TimeSpan.TicksPerMillisecond, "250ms")]
    [InlineData(90 * TimeSpan.TicksPerSecond, "1m30s")]
    [InlineData(TimeSpan.TicksPerHour, "1h")]
    [InlineData(15 * TimeSpan.TicksPerSecond / 10, "1.5s")]
    [InlineData(-TimeSpan.TicksPerSecond, "-1s")]
    public void FormatsRoundTrip(long ticks, string text)
    {
        Assert.Equal(text, GoDuration.Format(TimeSpan.FromTicks(ticks)));
        Assert.True(GoDuration.TryParse(text, out var back));
        Assert.Equal(TimeSpan.FromTicks(ticks), back);
    }

    [Fact]
    public void BareIntegerInTheFileNamesTheFieldAndTheExpectedForm()
    {
        ConfigAssert.Errors(
            """
            listeners:
              - name: l
                address: 127.0.0.1:8080
                routes:
                  - name: r
                    cluster: c
                    timeouts: { idle: 30 }
            clusters: [ { name: c, endpoints: [ 127.0.0.1:50051 ], connection: { keepalive_timeout: off } } ]
            """,
            "gateway.yaml:7:27: listeners[0].routes[0].timeouts.idle: expected a duration with a unit, such as 250ms, 5s, 2m, 1h or 1m30s, found '30'; a bare number has no unit (write 30s for seconds)",
            "gateway.yaml:8:89: clusters[0].connection.keepalive_timeout: expected a duration with a unit, such as 250ms, 5s, 2m, 1h or 1m30s; this one cannot be turned off");
    }

    [Fact]
    public void RouteTimeoutsCanBeTurnedOff()
    {
        var config = ConfigAssert.Valid("""
            listeners:
              - name: l
                address: 127.0.0.1:8080
                routes: [ { name: r, cluster: c, timeouts: { default_deadline: off, idle: null, max_stream_lifetime: 1m30s } } ]
            clusters: [ { name: c, endpoints: [ 127.0.0.1:50051 ] } ]
            """);

        var timeouts = config.Listeners[0].Routes[0].Timeouts;
        Assert.Null(timeouts.DefaultDeadline);
        Assert.Null(timeouts.Idle);
        Assert.Equal(TimeSpan.FromSeconds(90), timeouts.MaxStreamLifetime);
    }
}
