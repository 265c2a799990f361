using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// A backend may end a call before the client finished sending, then reset the stream with NO_ERROR to stop the
/// request (RFC 9113 §8.1; Kestrel does this). The client must get the backend's status, not a reset.
/// </summary>
public sealed class EarlyResponseTests
{
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
