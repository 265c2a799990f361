using Ferry.Grpc.Client;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;
using Ferry.Grpc.Tests.Http2;
using Google.Protobuf;
using Grpc.Testing;

namespace Ferry.Grpc.Tests.Faults;

/// <summary>
/// A call the server turned away before processing it (RFC 9113 section 8.7: GOAWAY above its last stream, or
/// REFUSED_STREAM) goes again, with its message: nginx does both when it closes a connection at its request limit
/// or has more streams than it allows.
/// </summary>
public sealed class UnprocessedRequestTests
{
    private static readonly SimpleRequest s_request = new() { ResponseSize = 0, Payload = new Payload { Body = ByteString.CopyFrom(Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray()) } };

    [Fact]
    public async Task A_unary_call_turned_away_by_goaway_goes_again_on_a_new_connection_with_its_message()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{server.Port}"));
        var call = new TestService.TestServiceClient(channel).UnaryCallAsync(s_request, deadline: DateTime.UtcNow.AddSeconds(20));

        await server.AcceptAsync();
        var (_, first) = await server.ReadRequestAsync();
        await server.WriteAsync(o => Http2FrameWriter.WriteGoAway(o, 0, Http2ErrorCode.NoError));
        await server.AcceptAsync();
        var (streamId, second) = await server.ReadRequestAsync();
        await server.SendUnaryReplyAsync(streamId);

        await call.ResponseAsync.WaitAsync(ScriptedHttp2Server.Timeout);
        Assert.True(first.Length > 1000, $"The first request carried {first.Length} bytes.");
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task A_unary_call_refused_on_the_connection_it_opened_goes_again_with_its_message()
    {
        await using var server = new ScriptedHttp2Server();
        using var channel = GrpcChannel.ForAddress(new Uri($"http://127.0.0.1:{server.Port}"));
        var call = new TestService.TestServiceClient(channel).UnaryCallAsync(s_request, deadline: DateTime.UtcNow.AddSeconds(20));

        await server.AcceptAsync();
        var (refused, first) = await server.ReadRequestAsync();
        await server.SendRstAsync(refused, Http2ErrorCode.RefusedStream);
        var (streamId, second) = await server.ReadRequestAsync();
        await server.SendUnaryReplyAsync(streamId);

        await call.ResponseAsync.WaitAsync(ScriptedHttp2Server.Timeout);
        Assert.True(first.Length > 1000, $"The first request carried {first.Length} bytes.");
        Assert.Equal(first, second);
    }
}
