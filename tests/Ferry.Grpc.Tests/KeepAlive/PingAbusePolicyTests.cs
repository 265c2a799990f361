using Ferry.Grpc.AspNetCore.Hosting;

namespace Ferry.Grpc.Tests.KeepAlive;

public sealed class PingAbusePolicyTests
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(10);

    private readonly ManualClock _clock = new();

    [Fact]
    public void TheFirstPingIsNeverAStrike()
    {
        var policy = Policy();

        Assert.False(policy.OnPing(activeCalls: false));
        Assert.Equal(0, policy.Strikes);
    }

    [Fact]
    public void PingsSoonerThanTheIntervalAreStrikesAndTheThirdIsTooMany()
    {
        var policy = Policy();
        policy.OnPing(activeCalls: true);

        Assert.False(policy.OnPing(activeCalls: true));
        Assert.False(policy.OnPing(activeCalls: true));
        Assert.Equal(2, policy.Strikes);
        Assert.True(policy.OnPing(activeCalls: true));
        Assert.Equal(3, policy.Strikes);
    }

    [Fact]
    public void APingExactlyAtTheIntervalIsAllowed()
    {
        var policy = Policy();
        policy.OnPing(activeCalls: true);

        _clock.Advance(s_interval);
        Assert.False(policy.OnPing(activeCalls: true));
        _clock.Advance(s_interval - TimeSpan.FromTicks(1));
        Assert.False(policy.OnPing(activeCalls: true));

        Assert.Equal(1, policy.Strikes);
    }

    [Fact]
    public void WithoutCallsTheIntervalIsTwoHoursUnlessPermitted()
    {
        var strict = Policy();
        var permissive = Policy(new ServerKeepAliveOptions { MinPingInterval = s_interval, PermitWithoutCalls = true });
        strict.OnPing(activeCalls: false);
        permissive.OnPing(activeCalls: false);

        _clock.Advance(TimeSpan.FromHours(1));
        strict.OnPing(activeCalls: false);
        permissive.OnPing(activeCalls: false);

        Assert.Equal(1, strict.Strikes);
        Assert.Equal(0, permissive.Strikes);
        _clock.Advance(TimeSpan.FromHours(2));
        strict.OnPing(activeCalls: false);
        Assert.Equal(1, strict.Strikes);
    }

    [Fact]
    public void ResetClearsStrikesAndMakesTheNextPingFree()
    {
        var policy = Policy();
        policy.OnPing(activeCalls: true);
        policy.OnPing(activeCalls: true);
        policy.OnPing(activeCalls: true);

        policy.Reset();

        Assert.Equal(0, policy.Strikes);
        Assert.False(policy.OnPing(activeCalls: true));
        Assert.Equal(0, policy.Strikes);
    }

    [Fact]
    public void ZeroMaxStrikesNeverSendsAway()
    {
        var policy = Policy(new ServerKeepAliveOptions { MinPingInterval = s_interval, MaxPingStrikes = 0 });

        for (var i = 0; i < 100; i++)
        {
            Assert.False(policy.OnPing(activeCalls: true));
        }

        Assert.Equal(99, policy.Strikes);
    }

    private PingAbusePolicy Policy(ServerKeepAliveOptions? options = null) =>
        new((options ?? new ServerKeepAliveOptions { MinPingInterval = s_interval }) with { TimeProvider = _clock });
}
