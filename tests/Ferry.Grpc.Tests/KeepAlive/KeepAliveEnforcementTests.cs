using Ferry.Grpc.AspNetCore.Hosting;
using Ferry.Grpc.Security;
using Ferry.Grpc.Testing;
using Ferry.Interop;
using Microsoft.Extensions.Logging;

namespace Ferry.Grpc.Tests.KeepAlive;

/// <summary>
/// The ping enforcement policy against a raw HTTP/2 client on loopback: each PING is sent after the previous one was
/// answered, and the policy's clock is a <see cref="ManualClock"/>, so every interval it measures is exact.
/// </summary>
public sealed class KeepAliveEnforcementTests
{
    private const string EmptyCall = "/grpc.testing.TestService/EmptyCall";
    private const string FullDuplexCall = "/grpc.testing.TestService/FullDuplexCall";
    private const uint EnhanceYourCalm = 0xb;

    private readonly ManualClock _clock = new();
    private readonly LogCapture _log = new(KeepAliveLog.Category);

    [Fact]
    public async Task RapidPingsAfterACallGetGoAwayEnhanceYourCalmAndTheConnectionCloses()
    {
        await using var server = await StartAsync(new ServerKeepAliveOptions { GoAwayGracePeriod = TimeSpan.FromMilliseconds(100) });
        await using var client = await RawHttp2Connection.ConnectAsync(server.Address);

        var call = await client.UnaryCallAsync(1, EmptyCall);
        Assert.True(call.IsOneEmptyMessage);
        Assert.True(call.HasLiteralGrpcStatusOk);

        // The first ping is free and two strikes are tolerated (grpc core's defaults); the third strike is one too many.
        for (var ping = 1; ping <= 3; ping++)
        {
            await client.PingAsync(ping);
        }

        await client.SendPingAsync(4);
        var goAway = await client.ReadUntilAsync(frame => frame.IsGoAway);

        Assert.Equal(EnhanceYourCalm, goAway.GoAwayErrorCode);
        Assert.Equal("too_many_pings", goAway.GoAwayDebugData);
        Assert.Equal(1, goAway.GoAwayLastStreamId);
        Assert.Contains(client.Received, frame => frame.IsPingAck(4));
        await client.WaitForCloseAsync();
        Assert.Equal(1, _log.Count("TooManyPings"));
        Assert.Equal(3, _log.Count("PingStrike"));
    }

    [Fact]
    public async Task PingsAtThePermittedIntervalDuringACallAreAnswered()
    {
        await using var server = await StartAsync(new ServerKeepAliveOptions { MinPingInterval = TimeSpan.FromMilliseconds(200) });
        await using var client = await RawHttp2Connection.ConnectAsync(server.Address);

        await client.StartCallAsync(1, FullDuplexCall);
        for (var ping = 1; ping <= 10; ping++)
        {
            await client.PingAsync(ping);
            _clock.Advance(TimeSpan.FromMilliseconds(200));
        }

        await client.SendMessageAsync(1, [], endStream: true);
        await client.ReadCallResultAsync(1);
        var call = await client.UnaryCallAsync(3, EmptyCall);

        Assert.True(call.IsOneEmptyMessage);
        Assert.DoesNotContain(client.Received, frame => frame.IsGoAway);
        Assert.Equal(0, _log.Count("PingStrike"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PingsWithoutCallsAreStrikesUnlessPermitted(bool permitWithoutCalls)
    {
        await using var server = await StartAsync(new ServerKeepAliveOptions
        {
            MinPingInterval = TimeSpan.FromMilliseconds(200),
            PermitWithoutCalls = permitWithoutCalls,
        });
        await using var client = await RawHttp2Connection.ConnectAsync(server.Address);

        for (var ping = 1; ping <= 3; ping++)
        {
            await client.PingAsync(ping);
            _clock.Advance(TimeSpan.FromMilliseconds(250));
        }

        if (permitWithoutCalls)
        {
            await client.PingAsync(4);
            var call = await client.UnaryCallAsync(1, EmptyCall);
            Assert.True(call.IsOneEmptyMessage);
            Assert.Equal(0, _log.Count("PingStrike"));
        }
        else
        {
            await client.SendPingAsync(4);
            var goAway = await client.ReadUntilAsync(frame => frame.IsGoAway);
            Assert.Equal(EnhanceYourCalm, goAway.GoAwayErrorCode);
            Assert.Equal(0, goAway.GoAwayLastStreamId);
        }
    }

    [Fact]
    public async Task HeadersAndDataFromTheServerClearTheStrikes()
    {
        await using var server = await StartAsync(new ServerKeepAliveOptions());
        await using var client = await RawHttp2Connection.ConnectAsync(server.Address);

        // Two rounds of a free ping and two strikes, each round cleared by a call's response.
        for (var round = 0; round < 2; round++)
        {
            for (var ping = 1; ping <= 3; ping++)
            {
                await client.PingAsync((round * 10) + ping);
            }

            var call = await client.UnaryCallAsync((round * 2) + 1, EmptyCall);
            Assert.True(call.IsOneEmptyMessage);
        }

        Assert.Equal(4, _log.Count("PingStrike"));
        Assert.Equal(0, _log.Count("TooManyPings"));

        for (var ping = 21; ping <= 23; ping++)
        {
            await client.PingAsync(ping);
        }

        await client.SendPingAsync(24);
        var goAway = await client.ReadUntilAsync(frame => frame.IsGoAway);
        Assert.Equal(3, goAway.GoAwayLastStreamId);
    }

    [Fact]
    public async Task EnforcementSitsAfterTls()
    {
        using var certificates = DevelopmentCertificates.Create(["localhost", "127.0.0.1"], TimeSpan.FromDays(1));
        await using var server = await StartAsync(
            new ServerKeepAliveOptions { GoAwayGracePeriod = TimeSpan.FromMilliseconds(100) },
            s => s.UseTls(new ServerTlsOptions { Certificate = certificates.Server }));
        await using var client = await RawHttp2Connection.ConnectAsync(server.Address, certificates.Ca);

        var call = await client.UnaryCallAsync(1, EmptyCall);
        Assert.True(call.IsOneEmptyMessage);
        for (var ping = 1; ping <= 3; ping++)
        {
            await client.PingAsync(ping);
        }

        await client.SendPingAsync(4);
        var goAway = await client.ReadUntilAsync(frame => frame.IsGoAway);

        Assert.Equal(EnhanceYourCalm, goAway.GoAwayErrorCode);
        Assert.Equal("too_many_pings", goAway.GoAwayDebugData);
        await client.WaitForCloseAsync();
        Assert.DoesNotContain("NotHttp2", _log.EventNames);
    }

    [Fact]
    public async Task MaxPingStrikesZeroToleratesAnyNumberOfPings()
    {
        await using var server = await StartAsync(new ServerKeepAliveOptions { MaxPingStrikes = 0 });
        await using var client = await RawHttp2Connection.ConnectAsync(server.Address);

        for (var ping = 1; ping <= 20; ping++)
        {
            await client.PingAsync(ping);
        }

        var call = await client.UnaryCallAsync(1, EmptyCall);
        Assert.True(call.IsOneEmptyMessage);
        Assert.Equal(0, _log.Count("TooManyPings"));
    }

    [Fact]
    public async Task TheServerPingsAnIdleConnectionAfterTime()
    {
        await using var server = await StartAsync(new ServerKeepAliveOptions { Time = TimeSpan.FromSeconds(1) });
        await using var client = await RawHttp2Connection.ConnectAsync(server.Address);

        var ping = await client.ReadUntilAsync(frame => frame.Type == RawFrame.Ping && (frame.Flags & RawFrame.EndStreamOrAck) == 0);

        await client.WriteFrameAsync(RawFrame.Ping, RawFrame.EndStreamOrAck, 0, ping.Payload);
        await client.PingAsync(1);
    }

    private Task<GrpcTestServer> StartAsync(ServerKeepAliveOptions keepAlive, Action<GrpcTestServerBuilder>? configure = null) =>
        GrpcTestServer.StartAsync(s =>
        {
            s.AddService<TestServiceImpl>()
                .WithKeepAlive(keepAlive with { TimeProvider = _clock })
                .WithLogging(logging => logging.AddProvider(_log).SetMinimumLevel(LogLevel.Trace));
            configure?.Invoke(s);
        }).WaitAsync(RawHttp2Connection.Timeout);
}
