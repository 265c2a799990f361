using Ferry.Grpc.AspNetCore.Hosting;
using Ferry.Grpc.Client;
using Ferry.Grpc.Testing;
using Ferry.Interop;
using Grpc.Testing;
using Microsoft.Extensions.Logging;

namespace Ferry.Grpc.Tests.KeepAlive;

/// <summary>
/// Ferry's channel (SocketsHttpHandler keepalive) against the server's enforcement, in real time: SocketsHttpHandler
/// pings on its own clock. The tests wait on the server's ping log events, not on sleeps.
/// </summary>
public sealed class ChannelKeepAliveTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private readonly LogCapture _log = new(KeepAliveLog.Category);

    [Fact]
    public async Task KeepAliveAtAPermittedRateKeepsALongIdleCallAlive()
    {
        await using var server = await StartAsync(new ServerKeepAliveOptions { MinPingInterval = TimeSpan.FromMilliseconds(500) });
        var client = new TestService.TestServiceClient(server.CreateChannel(new GrpcChannelOptions { KeepAliveTime = TimeSpan.FromSeconds(1) }));

        using var call = client.FullDuplexCall();
        await call.RequestStream.WriteAsync(Request(size: 1)).WaitAsync(s_timeout);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(s_timeout));

        // The call now stays idle while the client keeps pinging: three keepalive PINGs reach the server.
        var pingsBefore = _log.Count("PingReceived");
        await _log.WaitForAsync("PingReceived", pingsBefore + 3).WaitAsync(s_timeout);

        await call.RequestStream.WriteAsync(Request(size: 2)).WaitAsync(s_timeout);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(s_timeout));
        Assert.Equal(2, call.ResponseStream.Current.Payload.Body.Length);
        await call.RequestStream.CompleteAsync().WaitAsync(s_timeout);
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(s_timeout));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal(0, _log.Count("PingStrike"));
    }

    [Fact]
    public async Task KeepAliveMoreEagerThanTheServerAllowsIsSentAway()
    {
        // grpc core's defaults: a ping at most every 5 minutes. The client pings every second.
        await using var server = await StartAsync(new ServerKeepAliveOptions { GoAwayGracePeriod = TimeSpan.FromMilliseconds(200) });
        var client = new TestService.TestServiceClient(server.CreateChannel(new GrpcChannelOptions { KeepAliveTime = TimeSpan.FromSeconds(1) }));

        using var call = client.FullDuplexCall();
        await call.RequestStream.WriteAsync(Request(size: 1)).WaitAsync(s_timeout);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(s_timeout));

        await _log.WaitForAsync("TooManyPings").WaitAsync(s_timeout);
        var failure = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(s_timeout));

        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
    }

    private static StreamingOutputCallRequest Request(int size)
    {
        var request = new StreamingOutputCallRequest();
        request.ResponseParameters.Add(new ResponseParameters { Size = size });
        return request;
    }

    private Task<GrpcTestServer> StartAsync(ServerKeepAliveOptions keepAlive) =>
        GrpcTestServer.StartAsync(s => s
            .AddService<TestServiceImpl>()
            .WithKeepAlive(keepAlive)
            .WithLogging(logging => logging.AddProvider(_log).SetMinimumLevel(LogLevel.Trace))).WaitAsync(s_timeout);
}
