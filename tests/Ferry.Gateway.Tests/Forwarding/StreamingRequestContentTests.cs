using System.IO.Pipelines;
using Ferry.Gateway.Config;
using Ferry.Gateway.Forwarding;
using Ferry.Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// The request body copy tells a client that went away from a failure of its own: Kestrel fails the request pipe
/// at once when the client's connection faults but signals RequestAborted only later, so the copy marks the call.
/// </summary>
public sealed class StreamingRequestContentTests
{
    private static readonly byte[] OneMessage = [0, 0, 0, 0, 1, 42];

    [Fact]
    public async Task A_request_pipe_failing_on_its_own_marks_the_call_as_client_gone()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(OneMessage);
        using var call = new ForwardingCall(CancellationToken.None, new RouteTimeoutsConfig(), deadline: null, TimeProvider.System);
        var content = new StreamingRequestContent(pipe.Reader, call, "application/grpc");
        using var upstream = new MemoryStream();

        var copy = content.CopyToAsync(upstream);
        await pipe.Writer.CompleteAsync(new ConnectionAbortedException("The HTTP/2 connection faulted."));

        await Assert.ThrowsAnyAsync<Exception>(() => copy.WaitAsync(TestTimeouts.Default));
        Assert.Equal(CancelReason.ClientGone, call.Reason);
        Assert.Equal(OneMessage, upstream.ToArray());
    }

    [Fact]
    public async Task A_copy_stopped_by_the_gateway_keeps_the_gateways_reason()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(OneMessage);
        using var call = new ForwardingCall(CancellationToken.None, new RouteTimeoutsConfig(), deadline: null, TimeProvider.System);
        var content = new StreamingRequestContent(pipe.Reader, call, "application/grpc");
        using var upstream = new MemoryStream();

        var copy = content.CopyToAsync(upstream);
        call.Cancel(CancelReason.Deadline);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => copy.WaitAsync(TestTimeouts.Default));
        Assert.Equal(CancelReason.Deadline, call.Reason);
    }
}
