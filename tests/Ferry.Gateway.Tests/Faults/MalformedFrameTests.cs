using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Google.Protobuf;

namespace Ferry.Gateway.Tests.Faults;

/// <summary>
/// The core's malformed-request cases, sent to the gateway as raw HTTP/2. The gateway forwards bytes without
/// decoding them, so the backend judges the frames; either way the bad stream must end with a gRPC error status,
/// and a bidi call open on the same client connection must carry on (checked on one counted connection).
/// </summary>
public sealed class MalformedFrameTests
{
    private const string UnaryPath = "/ferry.gateway.tests.Probe/Unary";

    public static TheoryData<string, byte[], string?, StatusCode> Cases => new()
    {
        { "reserved compressed-flag bits", RawGrpcRequest.Frame(new ProbeRequest(), flag: 2), null, StatusCode.Internal },
        { "high compressed-flag bit", RawGrpcRequest.Frame(new ProbeRequest(), flag: 0x80), null, StatusCode.Internal },
        { "body shorter than its prefix", [.. RawGrpcRequest.Prefix(0, 100), .. new byte[10]], null, StatusCode.Internal },
        { "stream ends inside the prefix", [0, 0, 0], null, StatusCode.Internal },
        { "compressed flag without grpc-encoding", RawGrpcRequest.Frame(new ProbeRequest(), flag: 1), null, StatusCode.Internal },
        { "compressed bytes that do not decompress", RawGrpcRequest.Frame([1, 2, 3, 4, 5, 6, 7, 8], flag: 1), "gzip", StatusCode.Internal },
        { "message over the backend's limit", RawGrpcRequest.Frame(new ProbeRequest { Payload = ByteString.CopyFrom(new byte[(4 * 1024 * 1024) + 1]) }), null, StatusCode.ResourceExhausted },
        { "two messages for a unary method", [.. RawGrpcRequest.Frame(new ProbeRequest()), .. RawGrpcRequest.Frame(new ProbeRequest())], null, StatusCode.Internal },
        { "no message for a unary method", [], null, StatusCode.Internal },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_malformed_request_gets_an_error_status_and_other_streams_carry_on(string fault, byte[] body, string? encoding, StatusCode expected)
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));
        using var raw = new RawGrpcClient(gateway.Address);

        using var bystander = raw.Client.Duplex();
        await PingAsync(bystander, 1);

        var response = await raw.SendAsync(new RawGrpcRequest(UnaryPath, body) { Headers = encoding is null ? [] : [("grpc-encoding", encoding)] });
        Assert.True(response.GrpcStatus == expected, $"{fault}: expected {expected}, got {response}");

        await PingAsync(bystander, 2);
        Assert.Equal("a", (await raw.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default)).Backend);
        await bystander.RequestStream.CompleteAsync().WaitAsync(TestTimeouts.Default);
        Assert.False(await bystander.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.OK, bystander.GetStatus().StatusCode);
        Assert.Equal(1, raw.Connections);
    }

    private static async Task PingAsync(AsyncDuplexStreamingCall<ProbeRequest, ProbeReply> call, int sequence)
    {
        await call.RequestStream.WriteAsync(new ProbeRequest { Sequence = sequence }).WaitAsync(TestTimeouts.Default);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        Assert.Equal(sequence, call.ResponseStream.Current.Sequence);
    }
}
