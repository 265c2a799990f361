using System.Buffers;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Ferry.Grpc.Http2;

namespace Ferry.Grpc.Tests.Http2;

/// <summary>
/// Ferry's HTTP/2 server against real clients over loopback: HttpClient (h2c, prior knowledge) and Ferry's own
/// <see cref="Http2ClientConnection"/>. Unary and full-duplex echo, large bodies both ways, many concurrent streams,
/// trailers, and header octets forwarded unchanged.
/// </summary>
public sealed class Http2ServerConnectionTests
{
    private static readonly TimeSpan Timeout = Http2ServerTestHost.Timeout;

    private static HttpRequestMessage Call(HttpContent content, string path = "/echo.Echo/Call") => new(HttpMethod.Post, path)
    {
        Version = System.Net.HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Content = content,
        Headers = { TE = { new TransferCodingWithQualityHeaderValue("trailers") } },
    };

    private static ByteArrayContent GrpcContent(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        return content;
    }

    [Fact]
    public async Task HttpClient_unary_call_is_echoed_with_headers_and_trailers()
    {
        var handler = TestStreamHandler.Echo();
        await using var host = new Http2ServerTestHost(handler);
        using var client = host.CreateHttpClient();
        var body = new byte[] { 0, 0, 0, 0, 3, 1, 2, 3 };

        using var response = await client.SendAsync(Call(GrpcContent(body))).WaitAsync(Timeout);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Version(2, 0), response.Version);
        Assert.Equal("application/grpc", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync().WaitAsync(Timeout));
        Assert.Equal("0", Assert.Single(response.TrailingHeaders.GetValues("grpc-status")));
        Assert.Empty(handler.Failures);
    }

    [Fact]
    public async Task The_handler_sees_the_request_as_sent()
    {
        Http2ServerStream? seen = null;
        byte[]? received = null;
        var handler = new TestStreamHandler(async stream =>
        {
            seen = stream;
            received = await TestStreamHandler.ReadBodyAsync(stream);
            stream.WriteHeaders(200, 0, static (_, _) => { }, endStream: true);
        });
        await using var host = new Http2ServerTestHost(handler);
        using var client = host.CreateHttpClient();
        var request = Call(GrpcContent([1, 2, 3]), "/pkg.Svc/Method?x=1");
        request.Headers.Add("x-custom", ["a", "b"]);

        using var response = await client.SendAsync(request).WaitAsync(Timeout);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(seen);
        Assert.Equal("POST", seen.Method);
        Assert.Equal("http", seen.Scheme);
        Assert.Equal($"127.0.0.1:{host.Port}", seen.Authority);
        Assert.Equal("/pkg.Svc/Method?x=1", seen.Path);
        Assert.Contains(new KeyValuePair<string, string>("te", "trailers"), seen.RequestHeaders);
        Assert.Contains(new KeyValuePair<string, string>("content-type", "application/grpc"), seen.RequestHeaders);
        Assert.Contains(seen.RequestHeaders, h => h.Key == "x-custom" && h.Value.Contains('a') && h.Value.Contains('b'));
        Assert.All(seen.RequestHeaders, h => Assert.False(h.Key.StartsWith(':')));
        Assert.Equal(new byte[] { 1, 2, 3 }, received);
        Assert.True(seen.IsClosed);
        Assert.Empty(handler.Failures);
    }

    [Fact]
    public async Task HttpClient_full_duplex_stream_gets_each_message_echoed_before_sending_the_next()
    {
        var handler = TestStreamHandler.Echo();
        await using var host = new Http2ServerTestHost(handler);
        using var client = host.CreateHttpClient();
        var messages = Channel.CreateUnbounded<byte[]>();
        var content = new DuplexContent(async body =>
        {
            await foreach (var message in messages.Reader.ReadAllAsync())
            {
                await body.WriteAsync(message);
                await body.FlushAsync();
            }
        });

        // HttpClient holds a request's HEADERS back until its body writes something, so the first message goes
        // before the response headers are awaited; each later one waits for the echo of the one before.
        static byte[] Message(int i) => Enumerable.Repeat((byte)i, 1 + (i % 100)).ToArray();
        messages.Writer.TryWrite(Message(0));
        using var response = await client.SendAsync(Call(content), HttpCompletionOption.ResponseHeadersRead).WaitAsync(Timeout);
        var responseBody = await response.Content.ReadAsStreamAsync();
        var echoed = new byte[100];
        for (var i = 0; i < 200; i++)
        {
            var message = Message(i);
            if (i > 0)
            {
                messages.Writer.TryWrite(message);
            }

            await responseBody.ReadExactlyAsync(echoed.AsMemory(0, message.Length)).AsTask().WaitAsync(Timeout);
            Assert.Equal(message, echoed[..message.Length]);
        }

        messages.Writer.Complete();
        Assert.Equal(0, await responseBody.ReadAsync(echoed).AsTask().WaitAsync(Timeout));
        Assert.Equal("0", Assert.Single(response.TrailingHeaders.GetValues("grpc-status")));
        Assert.Empty(handler.Failures);
    }

    [Fact]
    public async Task HttpClient_large_body_crosses_both_windows_intact()
    {
        var handler = TestStreamHandler.Echo();
        await using var host = new Http2ServerTestHost(handler);
        using var client = host.CreateHttpClient();
        var body = RandomNumberGenerator.GetBytes(24 * 1024 * 1024);

        var content = new DuplexContent(async stream =>
        {
            for (var offset = 0; offset < body.Length; offset += 100_000)
            {
                await stream.WriteAsync(body.AsMemory(offset, Math.Min(100_000, body.Length - offset)));
            }
        });

        using var response = await client.SendAsync(Call(content), HttpCompletionOption.ResponseHeadersRead).WaitAsync(Timeout);
        var stream = await response.Content.ReadAsStreamAsync();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer).AsTask().WaitAsync(Timeout)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }

        Assert.Equal(body.Length, total);
        Assert.Equal(SHA256.HashData(body), hash.GetHashAndReset());
        Assert.Equal("0", Assert.Single(response.TrailingHeaders.GetValues("grpc-status")));
        Assert.Empty(handler.Failures);
    }

    [Fact]
    public async Task HttpClient_runs_150_concurrent_streams_on_one_connection()
    {
        const int Streams = 150;
        var allOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var open = 0;
        var handler = new TestStreamHandler(async stream =>
        {
            // Every stream waits until all are open at once: the connection really holds them concurrently.
            if (Interlocked.Increment(ref open) == Streams)
            {
                allOpen.SetResult();
            }

            await allOpen.Task.WaitAsync(Timeout);
            await TestStreamHandler.EchoAsync(stream);
        });
        await using var host = new Http2ServerTestHost(handler, new Http2ServerOptions { MaxConcurrentStreams = 200 });
        using var client = host.CreateHttpClient();

        var calls = Enumerable.Range(0, Streams).Select(async i =>
        {
            var body = Encoding.ASCII.GetBytes($"call {i}");
            using var response = await client.SendAsync(Call(GrpcContent(body))).WaitAsync(Timeout);
            Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
            Assert.Equal("0", Assert.Single(response.TrailingHeaders.GetValues("grpc-status")));
        }).ToArray();
        await Task.WhenAll(calls).WaitAsync(Timeout);

        Assert.Equal(1, host.ConnectionCount);
        Assert.Empty(handler.Failures);
        var served = await host.NextConnectionAsync();
        Assert.Equal(0, served.Connection.ActiveStreams);
    }

    [Fact]
    public async Task Response_header_octets_reach_the_client_unchanged()
    {
        // "café" as UTF-8 octets, one char each, as a server that forwards received headers holds them.
        var octets = Encoding.Latin1.GetString(Encoding.UTF8.GetBytes("café"));
        var handler = new TestStreamHandler(stream =>
        {
            stream.WriteHeaders(200, octets, static (headers, value) => headers.AddOctets("x-name", value), endStream: true);
            return Task.CompletedTask;
        });
        await using var host = new Http2ServerTestHost(handler);
        using var client = host.CreateHttpClient(h => h.ResponseHeaderEncodingSelector = (_, _) => Encoding.UTF8);

        using var response = await client.SendAsync(Call(GrpcContent([]))).WaitAsync(Timeout);

        Assert.Equal("café", Assert.Single(response.Headers.GetValues("x-name")));
    }

    [Fact]
    public async Task Ferry_client_unary_call_is_echoed_and_request_header_octets_round_trip()
    {
        var handler = TestStreamHandler.Echo();
        await using var host = new Http2ServerTestHost(handler);
        await using var connection = await host.ConnectFerryClientAsync();
        var octets = Encoding.Latin1.GetString(Encoding.UTF8.GetBytes("naïve ✓"));
        Assert.True(connection.TryOpenStream(static (headers, value) =>
        {
            foreach (var (name, v) in RawHttp2Client.Request())
            {
                headers.Add(name, v);
            }

            headers.AddOctets("x-echo-name", value);
        }, octets, endStream: false, flush: true, out var stream));
        using (stream)
        {
            await stream.WriteDataAsync(new ReadOnlySequence<byte>([0, 0, 0, 0, 1, 42]), endStream: true);

            await stream.ReadHeadersAsync().WaitAsync(Timeout);
            Assert.Equal(200, stream.StatusCode);
            Assert.Contains(new KeyValuePair<string, string>("x-echo-name", octets), stream.Headers);
            Assert.Equal(new byte[] { 0, 0, 0, 0, 1, 42 }, await ReadAllAsync(stream));
            Assert.Contains(new KeyValuePair<string, string>("grpc-status", "0"), stream.Trailers);
        }

        Assert.Empty(handler.Failures);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ferry_client_many_streams_with_large_bodies_complete_intact(bool sendOnSocket)
    {
        var handler = TestStreamHandler.Echo();
        await using var host = new Http2ServerTestHost(handler, sendOnSocket: sendOnSocket);
        await using var connection = await host.ConnectFerryClientAsync();

        var calls = Enumerable.Range(0, 20).Select(async i =>
        {
            var body = RandomNumberGenerator.GetBytes(1024 * 1024 + i);
            Assert.True(connection.TryOpenStream(static (headers, _) =>
            {
                foreach (var (name, value) in RawHttp2Client.Request())
                {
                    headers.Add(name, value);
                }
            }, 0, endStream: false, flush: true, out var stream));
            using (stream)
            {
                var sending = stream.WriteDataAsync(new ReadOnlySequence<byte>(body), endStream: true).AsTask();
                await stream.ReadHeadersAsync().WaitAsync(Timeout);
                Assert.Equal(body, await ReadAllAsync(stream));
                await sending.WaitAsync(Timeout);
            }
        }).ToArray();
        await Task.WhenAll(calls).WaitAsync(Timeout);

        Assert.Empty(handler.Failures);
    }

    internal static async Task<byte[]> ReadAllAsync(Http2ClientStream stream)
    {
        var body = new MemoryStream();
        while (true)
        {
            var result = await stream.ReadBodyAsync().AsTask().WaitAsync(Timeout);
            foreach (var segment in result.Buffer)
            {
                body.Write(segment.Span);
            }

            stream.AdvanceBody(result);
            if (result.IsCompleted)
            {
                return body.ToArray();
            }
        }
    }
}
