using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Ferry.Grpc.Http2;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>
/// A backend on raw sockets for the fault tests that need HTTP/2 behaviour no real server shows on demand: each
/// accepted connection is handed to a script (with its 1-based number), which reads and writes frames itself.
/// </summary>
internal sealed class RawHttp2Backend : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<NetworkStream, int, CancellationToken, Task> _serve;
    private readonly Task _accepting;
    private int _connections;

    public RawHttp2Backend(Func<NetworkStream, int, CancellationToken, Task> serve)
    {
        _serve = serve;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>A script that reads the client preface, announces <paramref name="settings"/>, then only listens.</summary>
    public static Func<NetworkStream, int, CancellationToken, Task> AnnounceThenListen(params (Http2SettingId Id, uint Value)[] settings) =>
        async (stream, _, stop) =>
        {
            var preface = new byte[24];
            await stream.ReadExactlyAsync(preface, stop);
            var frame = new ArrayBufferWriter<byte>();
            Http2FrameWriter.WriteSettings(frame, settings);
            await stream.WriteAsync(frame.WrittenMemory, stop);
            var sink = new byte[4096];
            while (await stream.ReadAsync(sink, stop) > 0)
            {
            }
        };

    /// <summary>Reads one frame: its header and its payload.</summary>
    public static async Task<(Http2FrameHeader Header, byte[] Payload)> ReadFrameAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        var bytes = new byte[Http2FrameHeader.Size];
        await stream.ReadExactlyAsync(bytes, cancellationToken);
        Http2FrameHeader.TryRead(new ReadOnlySequence<byte>(bytes), out var header);
        var payload = new byte[header.Length];
        await stream.ReadExactlyAsync(payload, cancellationToken);
        return (header, payload);
    }

    /// <summary>Sends what <paramref name="write"/> produces in one write.</summary>
    public static Task WriteAsync(Stream stream, Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return stream.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    /// <summary>Reads the client preface and announces default settings: what every script starts with.</summary>
    public static async Task AcceptAsync(Stream stream, CancellationToken cancellationToken)
    {
        await stream.ReadExactlyAsync(new byte[24], cancellationToken);
        await WriteAsync(stream, o => Http2FrameWriter.WriteSettings(o, []));
    }

    /// <summary>Reads frames up to the next HEADERS (a request) and returns its header.</summary>
    public static async Task<Http2FrameHeader> ReadUntilHeadersAsync(Stream stream, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (header, _) = await ReadFrameAsync(stream, cancellationToken);
            if (header.Type == Http2FrameType.Headers)
            {
                return header;
            }
        }
    }

    /// <summary>Response headers for <paramref name="streamId"/> (200, application/grpc), the response left open.</summary>
    public static void WriteResponseHeaders(IBufferWriter<byte> output, HpackEncoder encoder, int streamId)
    {
        var block = new ArrayBufferWriter<byte>();
        encoder.BeginBlock(block);
        encoder.Encode(":status", "200", block);
        encoder.Encode("content-type", "application/grpc", block);
        Http2FrameWriter.WriteHeaders(output, streamId, block.WrittenSpan, false, 16_384);
    }

    /// <summary>A whole unary answer for <paramref name="streamId"/>: headers, an empty message, trailers with status OK.</summary>
    public static void WriteUnaryReply(IBufferWriter<byte> output, HpackEncoder encoder, int streamId)
    {
        WriteResponseHeaders(output, encoder, streamId);
        Http2FrameWriter.WriteData(output, streamId, new ReadOnlySequence<byte>(new byte[5]), false);
        var trailers = new ArrayBufferWriter<byte>();
        encoder.BeginBlock(trailers);
        encoder.Encode("grpc-status", "0", trailers);
        Http2FrameWriter.WriteHeaders(output, streamId, trailers.WrittenSpan, true, 16_384);
    }

    private async Task AcceptAsync()
    {
        var served = new List<Task>();
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                served.Add(ServeAsync(socket, Interlocked.Increment(ref _connections)));
            }
        }
        catch (Exception ex) when (_stop.IsCancellationRequested && ex is OperationCanceledException or InvalidOperationException or SocketException)
        {
            // Disposed: a stop between two accepts makes the next one fail as "not listening" rather than cancelled.
        }

        await Task.WhenAll(served);
    }

    private async Task ServeAsync(Socket socket, int number)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            await _serve(stream, number, _stop.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or EndOfStreamException)
        {
            // The gateway closed the connection, or the test is over.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
    }
}
