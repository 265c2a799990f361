using Ferry.Grpc.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Ferry.Grpc.Tests.KeepAlive;

public sealed class ServerKeepAliveOptionsTests
{
    [Fact]
    public void DefaultsAreGrpcCoresServerDefaults()
    {
        var options = new ServerKeepAliveOptions();

        Assert.Equal(TimeSpan.FromHours(2), options.Time);
        Assert.Equal(TimeSpan.FromSeconds(20), options.Timeout);
        Assert.Equal(TimeSpan.FromMinutes(5), options.MinPingInterval);
        Assert.False(options.PermitWithoutCalls);
        Assert.Equal(2, options.MaxPingStrikes);
        Assert.Same(TimeProvider.System, options.TimeProvider);
        options.Validate();
    }

    [Fact]
    public void ValidationReportsEveryErrorNamingItsField()
    {
        var options = new ServerKeepAliveOptions
        {
            Time = TimeSpan.FromMilliseconds(500),
            Timeout = TimeSpan.Zero,
            MinPingInterval = TimeSpan.FromSeconds(-1),
            MaxPingStrikes = -1,
            GoAwayGracePeriod = Timeout.InfiniteTimeSpan,
        };

        var error = Assert.Throws<ArgumentException>(() => options.Validate("keepAlive"));

        Assert.Equal("keepAlive", error.ParamName);
        foreach (var field in new[] { "Time", "Timeout", "MinPingInterval", "MaxPingStrikes", "GoAwayGracePeriod" })
        {
            Assert.Contains($"ServerKeepAliveOptions.{field} ", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void InfiniteTimeAndTimeoutAndZeroIntervalsAreValid()
    {
        new ServerKeepAliveOptions
        {
            Time = Timeout.InfiniteTimeSpan,
            Timeout = Timeout.InfiniteTimeSpan,
            MinPingInterval = TimeSpan.Zero,
            MaxPingStrikes = 0,
            GoAwayGracePeriod = TimeSpan.Zero,
        }.Validate();
    }

    [Fact]
    public void TimeAndTimeoutBecomeKestrelsHttp2KeepAliveLimits()
    {
        var kestrel = new KestrelServerOptions();

        kestrel.ConfigureGrpcKeepAlive(new ServerKeepAliveOptions { Time = TimeSpan.FromSeconds(30), Timeout = TimeSpan.FromSeconds(5) });

        Assert.Equal(TimeSpan.FromSeconds(30), kestrel.Limits.Http2.KeepAlivePingDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), kestrel.Limits.Http2.KeepAlivePingTimeout);
    }

    [Fact]
    public void InfiniteTimeTurnsKestrelsPingsOff()
    {
        var kestrel = new KestrelServerOptions();

        kestrel.ConfigureGrpcKeepAlive(new ServerKeepAliveOptions { Time = Timeout.InfiniteTimeSpan, Timeout = Timeout.InfiniteTimeSpan });

        Assert.Equal(TimeSpan.MaxValue, kestrel.Limits.Http2.KeepAlivePingDelay);
        Assert.Equal(TimeSpan.MaxValue, kestrel.Limits.Http2.KeepAlivePingTimeout);
    }

    [Fact]
    public void ConfigureGrpcKeepAliveRejectsInvalidOptions()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            new KestrelServerOptions().ConfigureGrpcKeepAlive(new ServerKeepAliveOptions { MaxPingStrikes = -3 }));

        Assert.Contains("ServerKeepAliveOptions.MaxPingStrikes", error.Message, StringComparison.Ordinal);
    }
}
