using Ferry.Grpc;
using Google.Protobuf;
using Grpc.Testing;

namespace Ferry.Interop;

/// <summary>
/// The client side of the standard interop cases (grpc/grpc doc/interop-test-descriptions.md). Each case throws
/// on a mismatch; <see cref="RunAsync"/> reports one line per case and the totals.
/// </summary>
public sealed class InteropClient(CallInvoker invoker)
{
    private readonly TestService.TestServiceClient _client = new(invoker);
    private readonly UnimplementedService.UnimplementedServiceClient _unimplemented = new(invoker);

    public static IReadOnlyList<string> AllCases { get; } =
    [
        "empty_unary", "large_unary", "client_streaming", "server_streaming", "ping_pong", "empty_stream",
        "custom_metadata", "status_code_and_message", "special_status_message", "unimplemented_method",
        "unimplemented_service", "cancel_after_begin", "cancel_after_first_response", "timeout_on_sleeping_server",
        "client_compressed_unary", "server_compressed_unary", "client_compressed_streaming", "server_compressed_streaming",
    ];

    /// <summary>Runs the named cases, writing <c>PASS name</c> or <c>FAIL name: reason</c> for each.</summary>
    public async Task<(int Passed, int Failed)> RunAsync(IEnumerable<string> cases, TextWriter output, TimeSpan caseTimeout)
    {
        var passed = 0;
        var failed = 0;
        foreach (var name in cases)
        {
            try
            {
                await RunCaseAsync(name).WaitAsync(caseTimeout).ConfigureAwait(false);
                passed++;
                await output.WriteLineAsync($"PASS {name}").ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failed++;
                var reason = ex is TimeoutException ? $"did not finish within {caseTimeout.TotalSeconds:0} s" : ex.Message;
                await output.WriteLineAsync($"FAIL {name}: {reason.ReplaceLineEndings(" ")}").ConfigureAwait(false);
            }
        }

        return (passed, failed);
    }

    public Task RunCaseAsync(string name) => name switch
    {
        "empty_unary" => EmptyUnaryAsync(),
        "large_unary" => LargeUnaryAsync(),
        "client_streaming" => ClientStreamingAsync(),
        "server_streaming" => ServerStreamingAsync(),
        "ping_pong" => PingPongAsync(),
        "empty_stream" => EmptyStreamAsync(),
        "custom_metadata" => CustomMetadataAsync(),
        "status_code_and_message" => StatusCodeAndMessageAsync(),
        "special_status_message" => SpecialStatusMessageAsync(),
        "unimplemented_method" => UnimplementedMethodAsync(),
        "unimplemented_service" => UnimplementedServiceAsync(),
        "cancel_after_begin" => CancelAfterBeginAsync(),
        "cancel_after_first_response" => CancelAfterFirstResponseAsync(),
        "timeout_on_sleeping_server" => TimeoutOnSleepingServerAsync(),
        "client_compressed_unary" => ClientCompressedUnaryAsync(),
        "server_compressed_unary" => ServerCompressedUnaryAsync(),
        "client_compressed_streaming" => ClientCompressedStreamingAsync(),
        "server_compressed_streaming" => ServerCompressedStreamingAsync(),
        _ => throw new ArgumentException($"Unknown test case '{name}'. Known cases: {string.Join(", ", AllCases)}."),
    };

    private async Task EmptyUnaryAsync()
    {
        var response = await _client.EmptyCallAsync(new Empty());
        Check(response is not null, "no response");
    }

    private async Task LargeUnaryAsync()
    {
        var response = await _client.UnaryCallAsync(new SimpleRequest { ResponseSize = 314159, Payload = Zeros(271828) });
        CheckPayload(response.Payload, 314159);
    }

    private async Task ClientStreamingAsync()
    {
        using var call = _client.StreamingInputCall();
        foreach (var size in new[] { 27182, 8, 1828, 45904 })
        {
            await call.RequestStream.WriteAsync(new StreamingInputCallRequest { Payload = Zeros(size) });
        }

        await call.RequestStream.CompleteAsync();
        var response = await call;
        Check(response.AggregatedPayloadSize == 74922, $"aggregated size {response.AggregatedPayloadSize}, expected 74922");
    }

    private async Task ServerStreamingAsync()
    {
        int[] sizes = [31415, 9, 2653, 58979];
        var request = new StreamingOutputCallRequest();
        request.ResponseParameters.AddRange(sizes.Select(size => new ResponseParameters { Size = size }));
        using var call = _client.StreamingOutputCall(request);
        var received = new List<int>();
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            received.Add(response.Payload.Body.Length);
        }

        Check(received.SequenceEqual(sizes), $"received sizes [{string.Join(",", received)}], expected [{string.Join(",", sizes)}]");
    }

    private async Task PingPongAsync()
    {
        int[] responseSizes = [31415, 9, 2653, 58979];
        int[] requestSizes = [27182, 8, 1828, 45904];
        using var call = _client.FullDuplexCall();
        for (var i = 0; i < responseSizes.Length; i++)
        {
            await call.RequestStream.WriteAsync(OutputRequest(responseSizes[i], requestSizes[i]));
            Check(await call.ResponseStream.MoveNext(CancellationToken.None), $"stream ended before response {i + 1}");
            CheckPayload(call.ResponseStream.Current.Payload, responseSizes[i]);
        }

        await call.RequestStream.CompleteAsync();
        Check(!await call.ResponseStream.MoveNext(CancellationToken.None), "unexpected extra response");
    }

    private async Task EmptyStreamAsync()
    {
        using var call = _client.FullDuplexCall();
        await call.RequestStream.CompleteAsync();
        Check(!await call.ResponseStream.MoveNext(CancellationToken.None), "expected no responses");
    }

    private async Task CustomMetadataAsync()
    {
        const string initialValue = "test_initial_metadata_value";
        byte[] trailingValue = [0xab, 0xab, 0xab];
        var headers = new Metadata { { "x-grpc-test-echo-initial", initialValue }, { "x-grpc-test-echo-trailing-bin", trailingValue } };

        using (var unary = _client.UnaryCallAsync(new SimpleRequest { ResponseSize = 314159, Payload = Zeros(271828) }, headers))
        {
            CheckPayload((await unary).Payload, 314159);
            CheckEcho(await unary.ResponseHeadersAsync, unary.GetTrailers(), initialValue, trailingValue, "unary");
        }

        using var duplex = _client.FullDuplexCall(headers);
        await duplex.RequestStream.WriteAsync(OutputRequest(314159, 271828));
        await duplex.RequestStream.CompleteAsync();
        Check(await duplex.ResponseStream.MoveNext(CancellationToken.None), "no duplex response");
        CheckPayload(duplex.ResponseStream.Current.Payload, 314159);
        Check(!await duplex.ResponseStream.MoveNext(CancellationToken.None), "unexpected extra duplex response");
        CheckEcho(await duplex.ResponseHeadersAsync, duplex.GetTrailers(), initialValue, trailingValue, "full duplex");
    }

    private async Task StatusCodeAndMessageAsync()
    {
        const string message = "test status message";
        await ExpectStatusAsync(
            () => _client.UnaryCallAsync(new SimpleRequest { ResponseStatus = new EchoStatus { Code = 2, Message = message } }).ResponseAsync,
            StatusCode.Unknown,
            message);

        using var duplex = _client.FullDuplexCall();
        await duplex.RequestStream.WriteAsync(new StreamingOutputCallRequest { ResponseStatus = new EchoStatus { Code = 2, Message = message } });
        await duplex.RequestStream.CompleteAsync();
        await ExpectStatusAsync(() => duplex.ResponseStream.MoveNext(CancellationToken.None), StatusCode.Unknown, message);
    }

    private async Task SpecialStatusMessageAsync()
    {
        const string message = "\t\ntest with whitespace\r\nand Unicode BMP \u263A and non-BMP \U0001F608\t\n";
        await ExpectStatusAsync(
            () => _client.UnaryCallAsync(new SimpleRequest { ResponseStatus = new EchoStatus { Code = 2, Message = message } }).ResponseAsync,
            StatusCode.Unknown,
            message);
    }

    private Task UnimplementedMethodAsync() =>
        ExpectStatusAsync(() => _client.UnimplementedCallAsync(new Empty()).ResponseAsync, StatusCode.Unimplemented, expectedMessage: null);

    private Task UnimplementedServiceAsync() =>
        ExpectStatusAsync(() => _unimplemented.UnimplementedCallAsync(new Empty()).ResponseAsync, StatusCode.Unimplemented, expectedMessage: null);

    private async Task CancelAfterBeginAsync()
    {
        using var cts = new CancellationTokenSource();
        using var call = _client.StreamingInputCall(cancellationToken: cts.Token);
        await cts.CancelAsync();
        await ExpectStatusAsync(() => call.ResponseAsync, StatusCode.Cancelled, expectedMessage: null);
    }

    private async Task CancelAfterFirstResponseAsync()
    {
        using var cts = new CancellationTokenSource();
        using var call = _client.FullDuplexCall(cancellationToken: cts.Token);
        await call.RequestStream.WriteAsync(OutputRequest(31415, 27182));
        Check(await call.ResponseStream.MoveNext(CancellationToken.None), "no first response");
        CheckPayload(call.ResponseStream.Current.Payload, 31415);
        await cts.CancelAsync();
        await ExpectStatusAsync(() => call.ResponseStream.MoveNext(CancellationToken.None), StatusCode.Cancelled, expectedMessage: null);
    }

    private async Task TimeoutOnSleepingServerAsync()
    {
        using var call = _client.FullDuplexCall(deadline: DateTime.UtcNow.AddMilliseconds(1));
        try
        {
            await call.RequestStream.WriteAsync(new StreamingOutputCallRequest { Payload = Zeros(27182) });
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded)
        {
            // The deadline may pass before the write; the spec allows the write to fail this way.
        }

        await ExpectStatusAsync(() => call.ResponseStream.MoveNext(CancellationToken.None), StatusCode.DeadlineExceeded, expectedMessage: null);
    }

    private async Task ClientCompressedUnaryAsync()
    {
        await ExpectStatusAsync(
            () => _client.UnaryCallAsync(new SimpleRequest { ExpectCompressed = new BoolValue { Value = true }, ResponseSize = 314159, Payload = Zeros(271828) }).ResponseAsync,
            StatusCode.InvalidArgument,
            expectedMessage: null);

        var compressed = await _client.UnaryCallAsync(
            new SimpleRequest { ExpectCompressed = new BoolValue { Value = true }, ResponseSize = 314159, Payload = Zeros(271828) },
            new CallOptions(compression: "gzip"));
        CheckPayload(compressed.Payload, 314159);

        var plain = await _client.UnaryCallAsync(new SimpleRequest { ExpectCompressed = new BoolValue { Value = false }, ResponseSize = 314159, Payload = Zeros(271828) });
        CheckPayload(plain.Payload, 314159);
    }

    private async Task ServerCompressedUnaryAsync()
    {
        foreach (var compress in new[] { true, false })
        {
            var response = await _client.UnaryCallAsync(new SimpleRequest { ResponseCompressed = new BoolValue { Value = compress }, ResponseSize = 314159, Payload = Zeros(271828) });
            CheckPayload(response.Payload, 314159);
        }
    }

    private async Task ClientCompressedStreamingAsync()
    {
        using (var probe = _client.StreamingInputCall())
        {
            await probe.RequestStream.WriteAsync(new StreamingInputCallRequest { ExpectCompressed = new BoolValue { Value = true }, Payload = Zeros(27182) });
            try
            {
                await probe.RequestStream.CompleteAsync();
            }
            catch (RpcException)
            {
                // The server may already have refused the call; the status is checked below.
            }

            await ExpectStatusAsync(() => probe.ResponseAsync, StatusCode.InvalidArgument, expectedMessage: null);
        }

        using var call = _client.StreamingInputCall(new CallOptions(compression: "gzip"));
        await call.RequestStream.WriteAsync(new StreamingInputCallRequest { ExpectCompressed = new BoolValue { Value = true }, Payload = Zeros(27182) });
        call.RequestStream.WriteOptions = new WriteOptions(NoCompress: true);
        await call.RequestStream.WriteAsync(new StreamingInputCallRequest { ExpectCompressed = new BoolValue { Value = false }, Payload = Zeros(45904) });
        await call.RequestStream.CompleteAsync();
        var response = await call;
        Check(response.AggregatedPayloadSize == 73086, $"aggregated size {response.AggregatedPayloadSize}, expected 73086");
    }

    private async Task ServerCompressedStreamingAsync()
    {
        var request = new StreamingOutputCallRequest();
        request.ResponseParameters.Add(new ResponseParameters { Size = 31415, Compressed = new BoolValue { Value = true } });
        request.ResponseParameters.Add(new ResponseParameters { Size = 92653, Compressed = new BoolValue { Value = false } });
        using var call = _client.StreamingOutputCall(request);
        var sizes = new List<int>();
        await foreach (var response in call.ResponseStream.ReadAllAsync())
        {
            sizes.Add(response.Payload.Body.Length);
        }

        Check(sizes.SequenceEqual([31415, 92653]), $"received sizes [{string.Join(",", sizes)}], expected [31415,92653]");
    }

    private static StreamingOutputCallRequest OutputRequest(int responseSize, int payloadSize)
    {
        var request = new StreamingOutputCallRequest { Payload = Zeros(payloadSize) };
        request.ResponseParameters.Add(new ResponseParameters { Size = responseSize });
        return request;
    }

    private static Payload Zeros(int size) => new() { Body = ByteString.CopyFrom(new byte[size]) };

    private static void CheckPayload(Payload? payload, int size)
    {
        Check(payload is not null, "response has no payload");
        Check(payload!.Body.Length == size, $"payload is {payload.Body.Length} bytes, expected {size}");
        Check(payload.Body.Span.IndexOfAnyExcept((byte)0) < 0, "payload is not all zeros");
    }

    private static void CheckEcho(Metadata headers, Metadata trailers, string initial, byte[] trailing, string kind)
    {
        Check(headers.GetValue("x-grpc-test-echo-initial") == initial, $"{kind}: initial metadata not echoed (got '{headers.GetValue("x-grpc-test-echo-initial")}')");
        var echoed = trailers.GetValueBytes("x-grpc-test-echo-trailing-bin");
        Check(echoed is not null && echoed.AsSpan().SequenceEqual(trailing), $"{kind}: trailing metadata not echoed");
    }

    private static async Task ExpectStatusAsync(Func<Task> call, StatusCode expected, string? expectedMessage)
    {
        try
        {
            await call();
        }
        catch (RpcException ex)
        {
            Check(ex.StatusCode == expected, $"status {ex.StatusCode} ({ex.Status.Detail}), expected {expected}");
            Check(expectedMessage is null || ex.Status.Detail == expectedMessage, $"status message '{ex.Status.Detail}', expected '{expectedMessage}'");
            return;
        }

        throw new InvalidOperationException($"the call succeeded, expected status {expected}");
    }

    private static void Check(bool condition, string failure)
    {
        if (!condition)
        {
            throw new InvalidOperationException(failure);
        }
    }
}
