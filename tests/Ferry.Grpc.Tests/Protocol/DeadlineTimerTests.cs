using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Tests.Protocol;

public sealed class DeadlineTimerTests
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Fires_once_when_due()
    {
        var time = new ManualTimeProvider(Start);
        var fired = 0;
        using var timer = DeadlineTimer.Start(time, TimeSpan.FromSeconds(5), _ => fired++, null);
        time.Advance(TimeSpan.FromSeconds(4.999));
        Assert.Equal(0, fired);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, fired);
        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, fired);
    }

    [Fact]
    public void Passes_its_state()
    {
        var time = new ManualTimeProvider(Start);
        object? seen = null;
        var state = new object();
        using var timer = DeadlineTimer.Start(time, TimeSpan.Zero, s => seen = s, state);
        time.Advance(TimeSpan.Zero);
        Assert.Same(state, seen);
    }

    [Fact]
    public void A_disposed_timer_does_not_fire()
    {
        var time = new ManualTimeProvider(Start);
        var fired = false;
        var timer = DeadlineTimer.Start(time, TimeSpan.FromSeconds(1), _ => fired = true, null);
        timer.Dispose();
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(fired);
    }

    [Theory]
    [InlineData(50.0)]
    [InlineData(365.0)]
    [InlineData(1_000_000.0)]
    public void Deadlines_beyond_the_runtime_timer_limit_fire_on_time(double days)
    {
        // Runtime timers refuse due times over ~49.7 days; grpc-timeout allows 99,999,999 hours.
        var time = new ManualTimeProvider(Start);
        var fired = false;
        var timeout = TimeSpan.FromDays(days);
        using var timer = DeadlineTimer.Start(time, timeout, _ => fired = true, null);
        time.Advance(timeout - TimeSpan.FromSeconds(1));
        Assert.False(fired);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(fired);
    }

    [Fact]
    public void The_longest_grpc_timeout_does_not_overflow_the_clock()
    {
        var time = new ManualTimeProvider(Start);
        Assert.True(GrpcTimeout.TryParse("99999999H", out var timeout));
        using var timer = DeadlineTimer.Start(time, timeout, _ => { }, null);
        using var max = DeadlineTimer.Start(time, TimeSpan.MaxValue, _ => { }, null);
    }

    [Fact]
    public void A_negative_timeout_fires_at_once()
    {
        var time = new ManualTimeProvider(Start);
        var fired = false;
        using var timer = DeadlineTimer.Start(time, TimeSpan.FromSeconds(-1), _ => fired = true, null);
        time.Advance(TimeSpan.Zero);
        Assert.True(fired);
    }
}
