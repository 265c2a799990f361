using System.Diagnostics;

namespace Ferry.Grpc.Tests.Faults;

/// <summary>
/// Calls that end early from the client side (cancel, reset, deadline) or the server side (a handler that stops
/// while the client still streams): both sides must learn of it, with the right status, and the connection must go on.
/// </summary>
public sealed class CancellationAndDeadlineTests
{
    private static readonly TimeSpan T = FaultHarness.Timeout;

    [Fact]
    public async Task A_client_deadline_while_streaming_ends_the_call_on_time_on_both_sides()
    {
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        var timeout = TimeSpan.FromMilliseconds(500);
        var stopwatch = Stopwatch.StartNew();
        var deadline = DateTime.UtcNow + timeout;
        using var call = harness.FaultClient.Duplex(deadline: deadline);

        // Streaming is under way: one message each way, then the handler waits for the end.
        await call.RequestStream.WriteAsync(new FaultRequest { Action = "echo", Count = 1 }).WaitAsync(T);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
        await call.RequestStream.WriteAsync(new FaultRequest { Action = "wait" }).WaitAsync(T);
        var context = await harness.Probe.Started.Task.WaitAsync(T);
        Assert.InRange(context.Deadline, deadline - TimeSpan.FromSeconds(1), deadline + TimeSpan.FromSeconds(1));

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
        var elapsed = stopwatch.Elapsed;
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Equal(StatusCode.DeadlineExceeded, call.GetStatus().StatusCode);
        Assert.InRange(elapsed, timeout - TimeSpan.FromMilliseconds(50), timeout + TimeSpan.FromSeconds(5));

        var observed = await harness.Probe.Cancelled.Task.WaitAsync(T);
        Assert.True(observed.AtUtc >= deadline - TimeSpan.FromMilliseconds(100), $"server cancelled at {observed.AtUtc:O}, before the deadline {deadline:O}");
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task Writes_after_the_deadline_fail_with_deadline_exceeded()
    {
        await using var harness = await FaultHarness.StartAsync();
        using var call = harness.FaultClient.ClientStream(deadline: DateTime.UtcNow.AddMilliseconds(300));
        await call.RequestStream.WriteAsync(new FaultRequest { Action = "echo" }).WaitAsync(T);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(T));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        var writeError = await Assert.ThrowsAsync<RpcException>(() => call.RequestStream.WriteAsync(new FaultRequest { Action = "echo" }).WaitAsync(T));
        Assert.Equal(StatusCode.DeadlineExceeded, writeError.StatusCode);
    }

    [Fact]
    public async Task A_deadline_already_past_fails_without_a_request()
    {
        await using var harness = await FaultHarness.StartAsync();
        using var call = harness.FaultClient.UnaryAsync(new FaultRequest { Action = "echo" }, deadline: DateTime.UtcNow.AddSeconds(-1));
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(T));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Equal(0, harness.Connections);
    }

    [Fact]
    public async Task A_deadline_months_away_works()
    {
        // Further than a runtime timer can be armed in one go (about 49.7 days), on both client and server.
        await using var harness = await FaultHarness.StartAsync();
        var deadline = DateTime.UtcNow.AddDays(400);
        using var call = harness.FaultClient.Duplex(deadline: deadline);
        await call.RequestStream.WriteAsync(new FaultRequest { Action = "wait" }).WaitAsync(T);
        var context = await harness.Probe.Started.Task.WaitAsync(T);
        Assert.InRange(context.Deadline, deadline - TimeSpan.FromMinutes(1), deadline + TimeSpan.FromMinutes(1));
        call.Dispose();
        await harness.Probe.Cancelled.Task.WaitAsync(T);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_server_enforces_grpc_timeout_on_its_own(bool messageFirst)
    {
        // A raw client that never cancels: only the server's deadline can end this call.
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        var holdOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            byte[] body = messageFirst
                ? [.. RawRequest.Frame(new FaultRequest { Action = "echo" }), .. RawRequest.Frame(new FaultRequest { Action = "wait" })]
                : RawRequest.Frame(new FaultRequest { Action = "wait" });
            var request = new RawRequest("/ferry.tests.FaultService/Duplex", body) { HoldOpenUntil = holdOpen.Task, Headers = [("grpc-timeout", "300m")] };
            var stopwatch = Stopwatch.StartNew();
            var response = await harness.SendAsync(request);
            Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
            Assert.Equal(StatusCode.DeadlineExceeded, response.GrpcStatus);
            if (messageFirst)
            {
                Assert.Equal("4", response.Trailers["grpc-status"]);
                Assert.NotEmpty(response.Body);
            }
            else
            {
                BadInputTests.AssertTrailersOnly(response, StatusCode.DeadlineExceeded);
            }

            var finished = await harness.Probe.Finished.Task.WaitAsync(T);
            Assert.True(harness.Probe.Started.Task.IsCompleted, $"started: false, received {harness.Probe.MessagesReceived}, finished with {finished}");
            var observed = await harness.Probe.Cancelled.Task.WaitAsync(T);
            Assert.NotEqual(DateTime.MaxValue, observed.Deadline);
            await harness.AssertConnectionSurvivedAsync(bystander);
        }
        finally
        {
            holdOpen.TrySetResult();
        }
    }

    [Fact]
    public async Task Cancelling_a_call_resets_the_stream_and_the_server_sees_it()
    {
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        using var cts = new CancellationTokenSource();
        using var call = harness.FaultClient.Duplex(cancellationToken: cts.Token);
        await call.RequestStream.WriteAsync(new FaultRequest { Action = "wait" }).WaitAsync(T);
        await harness.Probe.Started.Task.WaitAsync(T);

        await cts.CancelAsync().WaitAsync(T);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await harness.Probe.Cancelled.Task.WaitAsync(T);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task Cancelling_a_read_cancels_the_call()
    {
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        using var call = harness.FaultClient.ServerStream(new FaultRequest { Action = "wait" });
        await harness.Probe.Started.Task.WaitAsync(T);
        using var cts = new CancellationTokenSource();
        var read = call.ResponseStream.MoveNext(cts.Token);
        await cts.CancelAsync().WaitAsync(T);
        var error = await Assert.ThrowsAsync<RpcException>(() => read.WaitAsync(T));
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await harness.Probe.Cancelled.Task.WaitAsync(T);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task Disposing_an_unfinished_call_resets_the_stream_and_the_server_sees_it()
    {
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        var call = harness.FaultClient.ClientStream();
        await call.RequestStream.WriteAsync(new FaultRequest { Action = "wait" }).WaitAsync(T);
        await harness.Probe.Started.Task.WaitAsync(T);
        call.Dispose();
        await harness.Probe.Cancelled.Task.WaitAsync(T);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(T));
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task A_raw_client_that_resets_mid_stream_is_seen_by_the_handler()
    {
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        var holdOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();
        try
        {
            var request = new RawRequest("/ferry.tests.FaultService/Duplex", RawRequest.Frame(new FaultRequest { Action = "wait" })) { HoldOpenUntil = holdOpen.Task };
            var send = harness.SendAsync(request, cts.Token);
            await harness.Probe.Started.Task.WaitAsync(T);

            // Cancelling a pending HTTP/2 request makes SocketsHttpHandler send RST_STREAM(CANCEL).
            await cts.CancelAsync().WaitAsync(T);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send.WaitAsync(T));
            await harness.Probe.Cancelled.Task.WaitAsync(T);
            await harness.AssertConnectionSurvivedAsync(bystander);
        }
        finally
        {
            holdOpen.TrySetResult();
        }
    }

    [Fact]
    public async Task A_server_that_ends_with_an_error_while_the_client_streams_is_seen_by_the_client()
    {
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        using var call = harness.FaultClient.ClientStream();
        await call.RequestStream.WriteAsync(new FaultRequest { Action = "status", Code = (int)StatusCode.FailedPrecondition, Message = "stop sending" }).WaitAsync(T);

        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(T));
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("stop sending", error.Status.Detail);
        var writeError = await Assert.ThrowsAsync<RpcException>(() => call.RequestStream.WriteAsync(new FaultRequest { Action = "echo" }).WaitAsync(T));
        Assert.Equal(StatusCode.FailedPrecondition, writeError.StatusCode);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task A_client_that_keeps_writing_after_the_server_failed_gets_the_servers_status()
    {
        // The client does not read: it learns of the end only through its writes, and must still report the
        // server's status rather than the stream reset that follows it.
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        using var call = harness.FaultClient.Duplex();
        await call.RequestStream.WriteAsync(new FaultRequest { Action = "status", Code = (int)StatusCode.Aborted, Message = "aborted by the server" }).WaitAsync(T);
        await harness.Probe.Finished.Task.WaitAsync(T);

        var filler = new FaultRequest { Action = "echo", Payload = Google.Protobuf.ByteString.CopyFrom(new byte[16 * 1024]) };
        RpcException? error = null;
        for (var i = 0; i < 10_000 && error is null; i++)
        {
            try
            {
                await call.RequestStream.WriteAsync(filler).WaitAsync(T);
            }
            catch (RpcException ex)
            {
                error = ex;
            }
        }

        Assert.NotNull(error);
        Assert.Equal(StatusCode.Aborted, error.StatusCode);
        Assert.Equal("aborted by the server", error.Status.Detail);
        var readError = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
        Assert.Equal(StatusCode.Aborted, readError.StatusCode);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task A_server_that_fails_after_replying_while_the_client_streams_reports_its_status_to_the_reader()
    {
        // The status is in trailers after a message, so only reading reaches it: a write that fails meanwhile
        // must not decide the call's outcome.
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        using var call = harness.FaultClient.Duplex();
        await call.RequestStream.WriteAsync(new FaultRequest { Action = "echo", Count = 1 }).WaitAsync(T);
        await call.RequestStream.WriteAsync(new FaultRequest { Action = "status", Code = (int)StatusCode.Aborted, Message = "aborted after a reply" }).WaitAsync(T);
        await harness.Probe.Finished.Task.WaitAsync(T);

        var filler = new FaultRequest { Action = "echo", Payload = Google.Protobuf.ByteString.CopyFrom(new byte[16 * 1024]) };
        RpcException? writeError = null;
        for (var i = 0; i < 10_000 && writeError is null; i++)
        {
            try
            {
                await call.RequestStream.WriteAsync(filler).WaitAsync(T);
            }
            catch (RpcException ex)
            {
                writeError = ex;
            }
        }

        // The write only learns that the request stream is closed; the reader then gets the reply and the status.
        Assert.NotNull(writeError);
        Assert.Equal(StatusCode.Unavailable, writeError.StatusCode);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
        Assert.Equal(1, call.ResponseStream.Current.Sequence);
        var readError = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
        Assert.Equal(new Status(StatusCode.Aborted, "aborted after a reply"), readError.Status);
        Assert.Equal(readError.Status, call.GetStatus());
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task A_server_that_answers_before_the_client_finished_streaming_is_seen_by_the_client()
    {
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        using var call = harness.FaultClient.ClientStream();
        await call.RequestStream.WriteAsync(new FaultRequest { Action = "early" }).WaitAsync(T);

        var reply = await call.ResponseAsync.WaitAsync(T);
        Assert.Equal("ended early", reply.Text);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        await Assert.ThrowsAsync<InvalidOperationException>(() => call.RequestStream.WriteAsync(new FaultRequest { Action = "echo" }).WaitAsync(T));
        await harness.AssertConnectionSurvivedAsync(bystander);
    }
}
