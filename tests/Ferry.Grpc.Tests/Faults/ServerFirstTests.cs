namespace Ferry.Grpc.Tests.Faults;

/// <summary>
/// A streaming call is open from its HEADERS on: a server may answer before the client writes anything (a
/// subscription that greets, a server that pushes). The client must send the HEADERS then, not with its first message.
/// </summary>
public sealed class ServerFirstTests
{
    private static readonly TimeSpan T = FaultHarness.Timeout;

    [Fact]
    public async Task A_server_that_speaks_first_is_heard_before_the_client_writes()
    {
        await using var harness = await FaultHarness.StartAsync();
        // The connection is already up: nothing else (SETTINGS, their ACK) is on its way to carry the HEADERS along.
        await using var bystander = await harness.OpenBystanderAsync();

        using var call = harness.FaultClient.Duplex(new Metadata { { "x-speak-first", "hello" } });

        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
        Assert.Equal("hello", call.ResponseStream.Current.Text);
        await call.RequestStream.CompleteAsync().WaitAsync(T);
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
        await harness.AssertConnectionSurvivedAsync(bystander);
    }
}
