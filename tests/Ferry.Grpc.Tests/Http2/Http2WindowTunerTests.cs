using Ferry.Grpc.Http2;
using Ferry.Grpc.Tests.KeepAlive;

namespace Ferry.Grpc.Tests.Http2;

public sealed class Http2WindowTunerTests
{
    private const int MiB = 1024 * 1024;
    private readonly ManualClock _clock = new();

    [Fact]
    public void A_round_trip_that_fills_the_window_doubles_the_target_up_to_the_maximum()
    {
        var tuner = Http2WindowTuner.Create(MiB, 4 * MiB, _clock)!;

        Arm(tuner);
        Assert.True(tuner.OnData(16_384));
        Assert.False(tuner.OnData(MiB - 16_384));
        _clock.Advance(TimeSpan.FromMilliseconds(20));
        Assert.True(tuner.OnPingAck());
        Assert.Equal(2 * MiB, tuner.Target);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Arm(tuner);
        Assert.True(tuner.OnData(2 * MiB));
        _clock.Advance(TimeSpan.FromMilliseconds(20));
        Assert.True(tuner.OnPingAck());
        Assert.Equal(4 * MiB, tuner.Target);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Arm(tuner);
        Assert.False(tuner.OnData(4 * MiB));
        Assert.Equal(4 * MiB, tuner.Target);
    }

    [Fact]
    public void A_round_trip_that_used_little_of_the_window_leaves_it_and_spaces_the_next_pings()
    {
        var tuner = Http2WindowTuner.Create(MiB, 8 * MiB, _clock)!;

        Arm(tuner);
        Assert.True(tuner.OnData(100_000));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(tuner.OnPingAck());
        Assert.Equal(MiB, tuner.Target);

        // Not before the interval (100 ms at first) has passed.
        Arm(tuner);
        _clock.Advance(TimeSpan.FromMilliseconds(99));
        Assert.False(tuner.OnData(100));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(tuner.OnData(100));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(tuner.OnPingAck());

        // Two steady samples in a row: the interval lengthens to 200 ms.
        Arm(tuner);
        _clock.Advance(TimeSpan.FromMilliseconds(199));
        Assert.False(tuner.OnData(100));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(tuner.OnData(100));
    }

    [Theory]
    [InlineData(MiB / 3 - 1, false)]
    [InlineData(MiB / 3 + 1, true)]
    public void Half_window_credit_makes_a_third_of_the_window_per_round_trip_the_mark(int sample, bool grows)
    {
        var tuner = Http2WindowTuner.Create(MiB, 8 * MiB, _clock)!;
        Arm(tuner);
        Assert.True(tuner.OnData(sample));
        _clock.Advance(TimeSpan.FromMilliseconds(40));

        Assert.Equal(grows, tuner.OnPingAck());
        Assert.Equal(grows ? 2 * MiB : MiB, tuner.Target);
    }

    [Fact]
    public void A_fuller_sample_at_a_lower_bandwidth_than_the_best_seen_does_not_grow_the_window()
    {
        var tuner = Http2WindowTuner.Create(MiB, 16 * MiB, _clock)!;
        Arm(tuner);
        Assert.True(tuner.OnData(MiB));
        _clock.Advance(TimeSpan.FromMilliseconds(10));
        Assert.True(tuner.OnPingAck());

        // 2 MiB in 1 s is far slower than 1 MiB in 10 ms: the path, not the window, is the limit.
        _clock.Advance(TimeSpan.FromSeconds(1));
        Arm(tuner);
        Assert.True(tuner.OnData(2 * MiB));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(tuner.OnPingAck());
        Assert.Equal(2 * MiB, tuner.Target);
    }

    [Fact]
    public void An_ack_nobody_asked_for_changes_nothing()
    {
        var tuner = Http2WindowTuner.Create(MiB, 8 * MiB, _clock)!;

        Assert.False(tuner.OnPingAck());
        Assert.Equal(MiB, tuner.Target);
        Arm(tuner);
        Assert.True(tuner.OnData(10));
    }

    [Fact]
    public void Data_measures_nothing_until_a_stream_has_used_half_its_window()
    {
        var tuner = Http2WindowTuner.Create(MiB, 8 * MiB, _clock)!;

        Assert.False(tuner.OnData(MiB / 4));
        Arm(tuner);
        Assert.True(tuner.OnData(100));

        // One measurement per arming.
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(tuner.OnPingAck());
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.False(tuner.OnData(100));
    }

    [Fact]
    public void A_stream_takes_the_grown_window_with_its_credit_and_the_connection_fits_two_such_streams()
    {
        var tuner = Http2WindowTuner.Create(MiB, 8 * MiB, _clock)!;
        var stream = MiB;
        Assert.Equal(0, tuner.OnStreamCredit(ref stream));
        Assert.True(tuner.OnData(MiB));
        _clock.Advance(TimeSpan.FromMilliseconds(40));
        Assert.True(tuner.OnPingAck());

        Assert.Equal(MiB, tuner.OnStreamCredit(ref stream));
        Assert.Equal(2 * MiB, stream);
        Assert.Equal(0, tuner.OnStreamCredit(ref stream));

        var connection = 16 * MiB;
        var left = MiB;
        Assert.Equal(0, tuner.GrowConnection(ref connection, ref left));
        connection = 3 * MiB;
        Assert.Equal(MiB, tuner.GrowConnection(ref connection, ref left));
        Assert.Equal(4 * MiB, connection);
        Assert.Equal(2 * MiB, left);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(MiB)]
    public void No_maximum_above_the_initial_window_means_no_tuner(int? max) =>
        Assert.Null(Http2WindowTuner.Create(MiB, max, _clock));

    /// <summary>A stream returning credit from a window the target never exceeds: arms a measurement, grows nothing.</summary>
    private static void Arm(Http2WindowTuner tuner)
    {
        var window = int.MaxValue;
        Assert.Equal(0, tuner.OnStreamCredit(ref window));
    }
}
