using Grpc.Testing;

namespace Ferry.Grpc.Tests.Faults;

/// <summary>A bidi FullDuplexCall kept open across a fault on the same connection.</summary>
internal sealed class Bystander(AsyncDuplexStreamingCall<StreamingOutputCallRequest, StreamingOutputCallResponse> call) : IAsyncDisposable
{
    private int _round;

    public async Task PingPongAsync()
    {
        var size = 100 + Interlocked.Increment(ref _round);
        await call.RequestStream.WriteAsync(new StreamingOutputCallRequest { ResponseParameters = { new ResponseParameters { Size = size } } }).WaitAsync(FaultHarness.Timeout);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(FaultHarness.Timeout));
        Assert.Equal(size, call.ResponseStream.Current.Payload.Body.Length);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await call.RequestStream.CompleteAsync().WaitAsync(FaultHarness.Timeout);
            Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(FaultHarness.Timeout));
            Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        }
        finally
        {
            call.Dispose();
        }
    }
}
