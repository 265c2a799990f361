using System.Collections.Concurrent;
using System.Threading.Channels;
using Ferry.Grpc.Http2;

namespace Ferry.Grpc.Tests.Http2;

/// <summary>
/// Runs a test's request handling for each stream on its own task, completes the stream afterwards, and keeps what
/// went wrong for the test to check. <see cref="Echo"/> answers like a gRPC echo service.
/// </summary>
internal sealed class TestStreamHandler(Func<Http2ServerStream, Task> handle) : IHttp2StreamHandler
{
    private readonly Channel<Http2ServerStream> _arrived = Channel.CreateUnbounded<Http2ServerStream>();
    private int _requests;

    public ConcurrentQueue<Exception> Failures { get; } = new();

    /// <summary>Requests handed over by the connection so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The next stream handed over by the connection, in order.</summary>
    public Task<Http2ServerStream> NextRequestAsync() => _arrived.Reader.ReadAsync().AsTask().WaitAsync(Http2ServerTestHost.Timeout);

    public void OnRequest(Http2ServerStream stream)
    {
        Interlocked.Increment(ref _requests);
        _arrived.Writer.TryWrite(stream);
        _ = RunAsync(stream);
    }

    private async Task RunAsync(Http2ServerStream stream)
    {
        try
        {
            await handle(stream);
        }
        catch (Exception ex)
        {
            Failures.Enqueue(ex);
        }
        finally
        {
            stream.Complete();
        }
    }

    /// <summary>200 with content-type application/grpc (and request headers named x-echo-* reflected), the body echoed as it arrives, trailers grpc-status 0.</summary>
    public static TestStreamHandler Echo() => new(EchoAsync);

    public static async Task EchoAsync(Http2ServerStream stream)
    {
        stream.WriteHeaders(200, stream, static (headers, s) =>
        {
            headers.AddOctets("content-type", "application/grpc");
            foreach (var (name, value) in s.RequestHeaders)
            {
                if (name.StartsWith("x-echo-", StringComparison.Ordinal))
                {
                    headers.AddOctets(name, value);
                }
            }
        }, endStream: false);
        stream.Flush();
        await EchoBodyAsync(stream);
        stream.WriteTrailers(0, static (headers, _) => headers.AddOctets("grpc-status", "0"));
    }

    public static async Task EchoBodyAsync(Http2ServerStream stream)
    {
        while (true)
        {
            var result = await stream.ReadBodyAsync().AsTask().WaitAsync(Http2ServerTestHost.Timeout);
            var buffer = result.Buffer;
            if (!buffer.IsEmpty && !stream.TryWriteData(buffer, endStream: false))
            {
                await stream.WriteDataAsync(buffer, endStream: false).AsTask().WaitAsync(Http2ServerTestHost.Timeout);
            }

            stream.AdvanceBody(buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    /// <summary>Reads the whole request body.</summary>
    public static async Task<byte[]> ReadBodyAsync(Http2ServerStream stream)
    {
        var body = new MemoryStream();
        while (true)
        {
            var result = await stream.ReadBodyAsync().AsTask().WaitAsync(Http2ServerTestHost.Timeout);
            foreach (var segment in result.Buffer)
            {
                body.Write(segment.Span);
            }

            stream.AdvanceBody(result.Buffer.End);
            if (result.IsCompleted)
            {
                return body.ToArray();
            }
        }
    }
}
