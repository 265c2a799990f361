using Ferry.Grpc.Client;
using Google.Protobuf;
using Grpc.Testing;

namespace Ferry.Grpc.Tests.Faults;

/// <summary>
/// Message size limits on both sides, large messages and many small ones, each checked to leave the shared
/// connection serving other streams.
/// </summary>
public sealed class MessageLimitTests
{
    private static readonly TimeSpan T = FaultHarness.Timeout;

    [Fact]
    public async Task A_response_over_the_client_receive_limit_is_resource_exhausted()
    {
        await using var harness = await FaultHarness.StartAsync(channel: new GrpcChannelOptions { MaxReceiveMessageSize = 1000 });
        await using var bystander = await harness.OpenBystanderAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => harness.TestClient.UnaryCallAsync(new SimpleRequest { ResponseSize = 2000 }).ResponseAsync.WaitAsync(T));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task A_streamed_response_over_the_client_receive_limit_fails_that_call_after_the_messages_before_it()
    {
        await using var harness = await FaultHarness.StartAsync(channel: new GrpcChannelOptions { MaxReceiveMessageSize = 1000 });
        await using var bystander = await harness.OpenBystanderAsync();
        var request = new StreamingOutputCallRequest { ResponseParameters = { new ResponseParameters { Size = 10 }, new ResponseParameters { Size = 2000 }, new ResponseParameters { Size = 10 } } };
        using var call = harness.TestClient.StreamingOutputCall(request);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
        Assert.Equal(10, call.ResponseStream.Current.Payload.Body.Length);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task A_request_over_the_client_send_limit_is_resource_exhausted()
    {
        await using var harness = await FaultHarness.StartAsync(channel: new GrpcChannelOptions { MaxSendMessageSize = 1000 });
        await using var bystander = await harness.OpenBystanderAsync();
        var request = new SimpleRequest { Payload = new Payload { Body = ByteString.CopyFrom(new byte[2000]) } };
        var error = await Assert.ThrowsAsync<RpcException>(() => harness.TestClient.UnaryCallAsync(request).ResponseAsync.WaitAsync(T));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task A_streamed_request_over_the_client_send_limit_fails_the_call_and_resets_it()
    {
        await using var harness = await FaultHarness.StartAsync(channel: new GrpcChannelOptions { MaxSendMessageSize = 1000 });
        await using var bystander = await harness.OpenBystanderAsync();
        using var call = harness.FaultClient.Duplex();
        await call.RequestStream.WriteAsync(new FaultRequest { Action = "echo" }).WaitAsync(T);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));

        var error = await Assert.ThrowsAsync<RpcException>(() => call.RequestStream.WriteAsync(new FaultRequest { Payload = ByteString.CopyFrom(new byte[2000]) }).WaitAsync(T));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(StatusCode.ResourceExhausted, call.GetStatus().StatusCode);

        // The server learns of it through the reset: its pending read fails.
        Assert.NotNull(await harness.Probe.Finished.Task.WaitAsync(T));
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task A_request_over_the_server_limit_is_resource_exhausted_for_the_client()
    {
        await using var harness = await FaultHarness.StartAsync(grpc: o => o.MaxReceiveMessageSize = 1000);
        await using var bystander = await harness.OpenBystanderAsync();
        var request = new SimpleRequest { Payload = new Payload { Body = ByteString.CopyFrom(new byte[2000]) } };
        var error = await Assert.ThrowsAsync<RpcException>(() => harness.TestClient.UnaryCallAsync(request).ResponseAsync.WaitAsync(T));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task A_response_over_the_server_send_limit_is_resource_exhausted()
    {
        await using var harness = await FaultHarness.StartAsync(grpc: o => o.MaxSendMessageSize = 1000);
        await using var bystander = await harness.OpenBystanderAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => harness.TestClient.UnaryCallAsync(new SimpleRequest { ResponseSize = 2000 }).ResponseAsync.WaitAsync(T));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task Ten_MiB_messages_pass_both_ways_with_raised_limits()
    {
        const int size = 10 * 1024 * 1024;
        await using var harness = await FaultHarness.StartAsync(
            grpc: o => o.MaxReceiveMessageSize = 16 * 1024 * 1024,
            channel: new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024 });
        await using var bystander = await harness.OpenBystanderAsync();
        var payload = new byte[size];
        new Random(7).NextBytes(payload);

        var reply = await harness.FaultClient.UnaryAsync(new FaultRequest { Action = "echo", Payload = ByteString.CopyFrom(payload) }).ResponseAsync.WaitAsync(T);
        Assert.True(payload.AsSpan().SequenceEqual(reply.Payload.Span));

        using var call = harness.TestClient.FullDuplexCall();
        await call.RequestStream.WriteAsync(new StreamingOutputCallRequest { Payload = new Payload { Body = ByteString.CopyFrom(payload) }, ResponseParameters = { new ResponseParameters { Size = size } } }).WaitAsync(T);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
        Assert.Equal(size, call.ResponseStream.Current.Payload.Body.Length);
        await call.RequestStream.CompleteAsync().WaitAsync(T);
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task Ten_MiB_is_refused_by_default_limits()
    {
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        var request = new FaultRequest { Action = "echo", Payload = ByteString.CopyFrom(new byte[10 * 1024 * 1024]) };
        var error = await Assert.ThrowsAsync<RpcException>(() => harness.FaultClient.UnaryAsync(request).ResponseAsync.WaitAsync(T));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task Many_small_messages_flow_in_order_each_way()
    {
        const int count = 10_000;
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();

        using (var upload = harness.TestClient.StreamingInputCall())
        {
            for (var i = 0; i < count; i++)
            {
                await upload.RequestStream.WriteAsync(new StreamingInputCallRequest { Payload = new Payload { Body = ByteString.CopyFrom(new byte[10]) } }).WaitAsync(T);
            }

            await upload.RequestStream.CompleteAsync().WaitAsync(T);
            Assert.Equal(count * 10, (await upload.ResponseAsync.WaitAsync(T)).AggregatedPayloadSize);
        }

        using (var download = harness.FaultClient.ServerStream(new FaultRequest { Action = "many", Count = count, Size = 10 }))
        {
            var expected = 0;
            while (await download.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T))
            {
                Assert.Equal(expected++, download.ResponseStream.Current.Sequence);
            }

            Assert.Equal(count, expected);
            Assert.Equal(StatusCode.OK, download.GetStatus().StatusCode);
        }

        using (var duplex = harness.FaultClient.Duplex())
        {
            var reader = Task.Run(async () =>
            {
                var seen = 0;
                while (await duplex.ResponseStream.MoveNext(CancellationToken.None))
                {
                    Assert.Equal(seen++, duplex.ResponseStream.Current.Sequence);
                }

                return seen;
            });
            for (var i = 0; i < count; i++)
            {
                await duplex.RequestStream.WriteAsync(new FaultRequest { Action = "echo", Count = i }).WaitAsync(T);
            }

            await duplex.RequestStream.CompleteAsync().WaitAsync(T);
            Assert.Equal(count, await reader.WaitAsync(T));
        }

        await harness.AssertConnectionSurvivedAsync(bystander);
    }
}
