using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Ferry.Gateway.Tests.Faults;

/// <summary>
/// Flow control end to end: a slow side holds the other back through the gateway, instead of the gateway
/// buffering what the fast side produces. The evidence is the fast side blocking: the messages it managed to
/// write before a write stayed pending are far fewer than it wanted to send.
/// </summary>
/// <remarks>
/// What may legitimately sit between the two ends: the slow side's HTTP/2 stream window (1 MiB), the gateway's
/// per-stream buffers and its upstream stream window (1 MiB, which .NET may grow up to 16 MiB while data flows),
/// and the fast side's own output buffers: about 20 MiB at most. The bound asserted is 40 MiB of the 128 MiB the
/// fast side tries to send; without flow control it would write all 128 MiB (and the gateway would hold them).
/// </remarks>
public sealed class BackpressureTests(ITestOutputHelper output)
{
    private const int MessageSize = 32 * 1024;
    private const int MessageCount = 4096;
    private const long Bound = 40L * 1024 * 1024;

    [Fact]
    public async Task A_slow_reader_holds_back_a_fast_server_stream()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));

        using var call = gateway.Client.ServerStream(new ProbeRequest { Action = "flood", Count = MessageCount, Size = MessageSize });
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));

        // The client reads nothing more: the backend's writes must stall.
        var written = await backend.Probe.WritesBlocked.Task.WaitAsync(TestTimeouts.Default);
        output.WriteLine($"The backend blocked after {written} messages ({written * (long)MessageSize / 1024} KiB).");
        Assert.True((long)written * MessageSize < Bound, $"the backend wrote {written} messages ({written * (long)MessageSize / (1024 * 1024)} MiB) before blocking");

        // The stream is intact and flowing again once the client reads: every message, in order.
        var expected = 1;
        while (await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default))
        {
            Assert.Equal(expected++, call.ResponseStream.Current.Sequence);
        }

        Assert.Equal(MessageCount, expected);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task A_backend_that_does_not_read_holds_back_a_fast_client_stream()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));
        using var cts = new CancellationTokenSource();

        using var call = gateway.Client.ClientStream(cancellationToken: cts.Token);
        await call.RequestStream.WriteAsync(new ProbeRequest { Action = "hold" }).WaitAsync(TestTimeouts.Default);
        var held = await backend.Probe.NextHeldAsync();

        // The handler reads no further; the client writes until a write stays pending.
        var payload = ByteString.CopyFrom(new byte[MessageSize]);
        var written = 0;
        var blocked = false;
        while (written < MessageCount)
        {
            var write = call.RequestStream.WriteAsync(new ProbeRequest { Payload = payload });
            try
            {
                await write.WaitAsync(TimeSpan.FromMilliseconds(500));
            }
            catch (TimeoutException)
            {
                blocked = true;
                break;
            }

            written++;
        }

        output.WriteLine($"The client blocked after {written} messages ({written * (long)MessageSize / 1024} KiB).");
        Assert.True(blocked, $"all {written} writes ({written * (long)MessageSize / (1024 * 1024)} MiB) went through to a backend that reads nothing");
        Assert.True((long)written * MessageSize < Bound, $"the client wrote {written} messages before blocking");

        cts.Cancel();
        await held.Cancelled.Task.WaitAsync(TestTimeouts.Default);
    }
}
