using Ferry.Gateway.Config;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Ferry.Grpc.Http2;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// Request metadata over the SETTINGS_MAX_HEADER_LIST_SIZE a backend announced is not sent to be refused there (a
/// server may close the whole connection over it, failing every call on it): the client gets INTERNAL saying so, and
/// the backend connection carries on. (Response metadata is passed on whatever the client announced: that limit is
/// advisory, and the client's to apply.)
/// </summary>
public sealed class HeaderListLimitTests
{
    [Fact]
    public async Task Request_metadata_over_the_backends_limit_fails_with_internal_naming_the_limit()
    {
        await using var backend = new RawHttp2Backend(RawHttp2Backend.AnnounceThenListen((Http2SettingId.MaxHeaderListSize, 1024u)));
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", [new EndpointConfig { Address = $"127.0.0.1:{backend.Port}" }]));

        for (var i = 0; i < 2; i++)
        {
            var big = new Metadata { { "x-test-big", new string('m', 2000) } };
            var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.UnaryAsync(new ProbeRequest(), big).ResponseAsync.WaitAsync(TestTimeouts.Default));
            Assert.Equal(StatusCode.Internal, error.StatusCode);
            Assert.Contains("server's limit of 1024 bytes", error.Status.Detail);
        }

        // The backend connection was kept: the refused blocks never reached it.
        Assert.Equal(1, backend.Connections);
    }
}
