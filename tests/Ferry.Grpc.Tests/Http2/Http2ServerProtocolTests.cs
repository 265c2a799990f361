using System.Buffers;
using System.Buffers.Binary;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Tests.Http2;

/// <summary>
/// Ferry's HTTP/2 server against a client scripted frame by frame: what it sends first, how it answers requests, and
/// the exact frame and error code it sends back for each protocol violation. A stream error must leave the other
/// streams on the connection working.
/// </summary>
public sealed class Http2ServerProtocolTests
{
    private static readonly TimeSpan Timeout = Http2ServerTestHost.Timeout;

    [Fact]
    public async Task Response_headers_leave_before_the_request_body_ends()
    {
        var handler = TestStreamHandler.Echo();
        await using var host = new Http2ServerTestHost(handler);
        await using var client = await RawHttp2Client.ConnectAndHandshakeAsync(host.Port);

        await client.SendRequestAsync(1);
        var headers = await client.ReadFrameAsync(Http2FrameType.Headers, 1);
        Assert.Contains(new KeyValuePair<string, string>(":status", "200"), headers.Headers!);

        await client.SendDataAsync(1, [1, 2, 3], endStream: false);
        var data = await client.ReadFrameAsync(Http2FrameType.Data, 1);
        Assert.Equal(new byte[] { 1, 2, 3 }, data.Payload);
        await client.SendDataAsync(1, [], endStream: true);
        var response = await client.ReadResponseAsync(1);
        // The response headers were read above, so the block ending the stream is the trailers.
        Assert.Equal("0", response.Header("grpc-status"));
    }
}
