using Grpc.Testing;

namespace Ferry.Grpc.Tests.Faults;

/// <summary>
/// Metadata both ways, response headers ahead of messages, and statuses (every code, handler failures,
/// unknown methods) through Ferry's own client against a real server.
/// </summary>
public sealed class MetadataAndStatusTests
{
    private static readonly TimeSpan T = FaultHarness.Timeout;

    [Fact]
    public async Task Metadata_round_trips_both_ways_including_binary()
    {
        await using var harness = await FaultHarness.StartAsync();
        var binary = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var headers = new Metadata
        {
            { "x-test-ascii", "hello, world ~!@#$%^&*()" },
            { "X-Test-Upper", "lowered" },
            { "x-test-bin", binary },
            { "x-test-one-bin", new byte[] { 0xFF } },
            { "x-test-empty-bin", Array.Empty<byte>() },
            { "x-test-empty", "" },
        };
        using var call = harness.FaultClient.UnaryAsync(new FaultRequest { Action = "metadata" }, headers);
        var reply = await call.ResponseAsync.WaitAsync(T);
        Assert.Equal("x-test-ascii,x-test-upper,x-test-bin,x-test-one-bin,x-test-empty-bin,x-test-empty", reply.Text);

        foreach (var received in new[] { await call.ResponseHeadersAsync.WaitAsync(T), call.GetTrailers() })
        {
            Assert.Equal("hello, world ~!@#$%^&*()", received.GetValue("x-test-ascii"));
            Assert.Equal("lowered", received.GetValue("x-test-upper"));
            Assert.Equal(binary, received.GetValueBytes("x-test-bin"));
            Assert.Equal(new byte[] { 0xFF }, received.GetValueBytes("x-test-one-bin"));
            Assert.Equal(Array.Empty<byte>(), received.GetValueBytes("x-test-empty-bin"));
            Assert.Equal("", received.GetValue("x-test-empty"));
            Assert.Null(received.Get("grpc-status"));
            Assert.Null(received.Get("content-type"));
        }
    }

    [Fact]
    public async Task Repeated_metadata_keys_keep_their_values_apart()
    {
        await using var harness = await FaultHarness.StartAsync();
        var headers = new Metadata
        {
            { "x-test-multi", "a" },
            { "x-test-multi", "b" },
            { "x-test-multi-bin", new byte[] { 1 } },
            { "x-test-multi-bin", new byte[] { 2, 3 } },
        };
        using var call = harness.FaultClient.UnaryAsync(new FaultRequest { Action = "metadata" }, headers);
        await call.ResponseAsync.WaitAsync(T);
        foreach (var received in new[] { await call.ResponseHeadersAsync.WaitAsync(T), call.GetTrailers() })
        {
            Assert.Equal(["a", "b"], received.GetAll("x-test-multi").SelectMany(e => e.Value.Split(", ")));
            Assert.Equal([[1], [2, 3]], received.GetAll("x-test-multi-bin").Select(e => e.ValueBytes));
        }
    }

    [Fact]
    public async Task Reserved_metadata_is_refused_before_anything_is_sent()
    {
        await using var harness = await FaultHarness.StartAsync();
        Assert.Throws<ArgumentException>(() => harness.FaultClient.UnaryAsync(new FaultRequest { Action = "echo" }, new Metadata { { "grpc-timeout", "1S" } }));
        Assert.Throws<ArgumentException>(() => harness.FaultClient.UnaryAsync(new FaultRequest { Action = "echo" }, new Metadata { { "content-type", "text/plain" } }));
        Assert.Equal(0, harness.Connections);
    }

    [Fact]
    public async Task Initial_metadata_is_visible_before_the_first_message()
    {
        await using var harness = await FaultHarness.StartAsync();
        using var call = harness.FaultClient.ServerStream(new FaultRequest { Action = "headers-then-release" });
        var headers = await call.ResponseHeadersAsync.WaitAsync(T);
        Assert.Equal("before-any-message", headers.GetValue("x-initial"));

        // The handler is parked until released, so no message can have been sent yet.
        await harness.Probe.Started.Task.WaitAsync(T);
        var read = call.ResponseStream.MoveNext(CancellationToken.None);
        Assert.False(read.IsCompleted);
        harness.Probe.Release.SetResult();
        Assert.True(await read.WaitAsync(T));
        Assert.Equal("released", call.ResponseStream.Current.Text);
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
    }

    [Fact]
    public async Task A_handler_that_throws_is_unknown_and_the_server_carries_on()
    {
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        for (var i = 0; i < 3; i++)
        {
            using var call = harness.FaultClient.UnaryAsync(new FaultRequest { Action = "throw" });
            var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(T));
            Assert.Equal(StatusCode.Unknown, error.StatusCode);
            Assert.Equal("Exception was thrown by handler.", error.Status.Detail);

            // Trailers-only: the headers arrive, and the trailers are those same headers, without the status.
            var headers = await call.ResponseHeadersAsync.WaitAsync(T);
            Assert.Same(headers, call.GetTrailers());
            Assert.Null(headers.Get("grpc-status"));
            Assert.Null(headers.Get("grpc-message"));
        }

        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task A_streaming_handler_that_throws_after_writing_sends_its_status_in_trailers()
    {
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        using var call = harness.FaultClient.Duplex();
        await call.RequestStream.WriteAsync(new FaultRequest { Action = "echo" }).WaitAsync(T);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
        await call.RequestStream.WriteAsync(new FaultRequest { Action = "throw" }).WaitAsync(T);
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(T));
        Assert.Equal(StatusCode.Unknown, error.StatusCode);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    public static TheoryData<int> AllStatusCodes => new(Enumerable.Range(0, 17));

    [Theory]
    [MemberData(nameof(AllStatusCodes))]
    public async Task Every_status_code_round_trips_with_a_unicode_message(int code)
    {
        const string message = "ünïcødé 😀 𝄞 100% \t\r\n%41 done";
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        using var call = harness.FaultClient.UnaryAsync(new FaultRequest { Action = "status", Code = code, Message = message });
        if (code == 0)
        {
            Assert.Equal("ok", (await call.ResponseAsync.WaitAsync(T)).Text);
            Assert.Equal(new Status(StatusCode.OK, message), call.GetStatus());
        }
        else
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(T));
            Assert.Equal(new Status((StatusCode)code, message), error.Status);
            Assert.Equal(error.Status, call.GetStatus());
        }

        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task Unknown_services_and_methods_are_unimplemented_for_the_client()
    {
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        var unknownService = new UnimplementedService.UnimplementedServiceClient(harness.Channel);
        var error = await Assert.ThrowsAsync<RpcException>(() => unknownService.UnimplementedCallAsync(new Empty()).ResponseAsync.WaitAsync(T));
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        error = await Assert.ThrowsAsync<RpcException>(() => harness.TestClient.UnimplementedCallAsync(new Empty()).ResponseAsync.WaitAsync(T));
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }
}
