using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// A backend may answer before the client sent anything, and may end a call before the client finished sending, then
/// reset the stream with NO_ERROR to stop the request (RFC 9113 §8.1; Kestrel does this). The client must get the
/// backend's reply and status, not a hang or a reset.
/// </summary>
public sealed class EarlyResponseTests
{
    [Fact]
    public async Task A_backend_that_speaks_first_reaches_a_client_that_has_sent_nothing()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Single(GatewayConfigs.Cluster("c", backend)));

        // Once alone on the upstream connection and once beside a held call: the request's HEADERS wait for its first
        // message unless the gateway sends them when the client has none to give.
        for (var i = 0; i < 2; i++)
        {
            using var held = i == 1 ? gateway.Client.UnaryAsync(new ProbeRequest { Action = "hold" }) : null;
            if (held is not null)
            {
                await backend.Probe.NextHeldAsync();
            }

            using var call = gateway.Client.Duplex(new Metadata { { "x-speak-first", $"hello {i}" } });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
            Assert.Equal($"hello {i}", call.ResponseStream.Current.Text);

            await call.RequestStream.CompleteAsync().WaitAsync(TestTimeouts.Default);
            Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        }
    }

    [Fact]
    public async Task A_status_sent_while_the_client_is_still_streaming_reaches_the_client()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Single(GatewayConfigs.Cluster("c", backend)));

        // Repeated: the backend's trailers and its reset arrive together, and their order of delivery used to race.
        for (var i = 0; i < 100; i++)
        {
            using var call = gateway.Client.Duplex();
            await call.RequestStream.WriteAsync(new ProbeRequest { Action = "status", Code = (int)StatusCode.FailedPrecondition, Message = $"early {i}" }).WaitAsync(TestTimeouts.Default);

            var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
            Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
            Assert.Equal($"early {i}", error.Status.Detail);
        }
    }
}
