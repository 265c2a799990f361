using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Tests.Http2;

/// <summary>
/// A hand-driven HTTP/2 server on a loopback socket: the test reads the client's frames and writes whatever frames
/// it likes, valid or not, to see how <see cref="Http2ClientConnection"/> copes.
/// </summary>
internal sealed class ScriptedHttp2Server : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly HpackEncoder _encoder = new();
    private readonly HpackDecoder _decoder = new(4096, 1 << 20);
    private Socket? _socket;
    private NetworkStream? _stream;

    public ScriptedHttp2Server() => _listener.Start();

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Connects a client to this server; the server side is accepted and its preface read.</summary>
    public async Task<Http2ClientConnection> ConnectClientAsync(Http2ClientOptions? options = null, bool sendSettings = true, params (Http2SettingId, uint)[] settings)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port);
        _socket = await _listener.AcceptSocketAsync().WaitAsync(Timeout);
        _stream = new NetworkStream(_socket, ownsSocket: true);
        var connecting = Http2ClientConnection.ConnectAsync(client.GetStream(), options ?? new Http2ClientOptions(), TimeProvider.System, CancellationToken.None);
        var preface = new byte[24];
        await _stream.ReadExactlyAsync(preface).AsTask().WaitAsync(Timeout);
        Assert.Equal(Http2FrameWriter.ClientPreface.ToArray(), preface);
        var clientSettings = await ReadFrameAsync();
        Assert.Equal(Http2FrameType.Settings, clientSettings.Header.Type);
        if (sendSettings)
        {
            await WriteAsync(o => Http2FrameWriter.WriteSettings(o, settings));
        }

        return await connecting.WaitAsync(Timeout);
    }

    /// <summary>
    /// Accepts the next connection of any HTTP/2 client (e.g. a GrpcChannel's HttpClient): reads its preface and
    /// SETTINGS, answers with empty SETTINGS and the ACK. The connection before it, if any, stays open.
    /// </summary>
    public async Task AcceptAsync()
    {
        _socket = await _listener.AcceptSocketAsync().WaitAsync(Timeout);
        _stream = new NetworkStream(_socket, ownsSocket: true);
        var preface = new byte[24];
        await _stream.ReadExactlyAsync(preface).AsTask().WaitAsync(Timeout);
        Assert.Equal(Http2FrameWriter.ClientPreface.ToArray(), preface);
        Assert.Equal(Http2FrameType.Settings, (await ReadFrameAsync()).Header.Type);
        await WriteAsync(o =>
        {
            Http2FrameWriter.WriteSettings(o, []);
            Http2FrameWriter.WriteSettingsAck(o);
        });
    }

    /// <summary>The client's next request on the current connection: its stream id and body, read to END_STREAM.</summary>
    public async Task<(int StreamId, byte[] Body)> ReadRequestAsync()
    {
        var (streamId, _) = await ReadRequestHeadersAsync();
        var body = new MemoryStream();
        while (true)
        {
            var frame = await ReadFrameAsync();
            if (frame.Header.StreamId != streamId)
            {
                continue;
            }

            if (frame.Header.Type == Http2FrameType.Data)
            {
                body.Write(frame.Payload);
            }

            if (frame.Header.IsEndStream)
            {
                return (streamId, body.ToArray());
            }
        }
    }

    /// <summary>A whole gRPC response with one empty message and status OK.</summary>
    public Task SendUnaryReplyAsync(int streamId) => WriteAsync(o =>
    {
        WriteHeaders(o, streamId, endStream: false, 16_384, (":status", "200"), ("content-type", "application/grpc"));
        Http2FrameWriter.WriteData(o, streamId, new ReadOnlySequence<byte>(new byte[5]), endStream: false);
        WriteHeaders(o, streamId, endStream: true, 16_384, ("grpc-status", "0"));
    });

    public async Task<(Http2FrameHeader Header, byte[] Payload)> ReadFrameAsync()
    {
        var header = new byte[Http2FrameHeader.Size];
        await _stream!.ReadExactlyAsync(header).AsTask().WaitAsync(Timeout);
        Http2FrameHeader.TryRead(new ReadOnlySequence<byte>(header), out var parsed);
        var payload = new byte[parsed.Length];
        await _stream.ReadExactlyAsync(payload).AsTask().WaitAsync(Timeout);
        return (parsed, payload);
    }

    /// <summary>Reads frames until one of <paramref name="type"/> arrives (skipping SETTINGS acks, WINDOW_UPDATEs and the like).</summary>
    public async Task<(Http2FrameHeader Header, byte[] Payload)> ReadFrameAsync(Http2FrameType type)
    {
        while (true)
        {
            var frame = await ReadFrameAsync();
            if (frame.Header.Type == type)
            {
                return frame;
            }
        }
    }

    /// <summary>The client's next request headers, decoded.</summary>
    public async Task<(int StreamId, List<KeyValuePair<string, string>> Headers)> ReadRequestHeadersAsync()
    {
        var frame = await ReadFrameAsync(Http2FrameType.Headers);
        var sink = new ListSink();
        _decoder.Decode(frame.Payload, sink);
        return (frame.Header.StreamId, sink.Headers);
    }

    public Task WriteAsync(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return _stream!.WriteAsync(buffer.WrittenMemory).AsTask();
    }

    public Task WriteRawAsync(byte[] bytes) => _stream!.WriteAsync(bytes).AsTask();

    public Task SendHeadersAsync(int streamId, bool endStream, params (string Name, string Value)[] headers) =>
        SendHeadersAsync(streamId, endStream, 16_384, headers);

    /// <summary>Sends a header block split into frames of at most <paramref name="maxFrameSize"/> bytes (HEADERS, then CONTINUATION).</summary>
    public Task SendHeadersAsync(int streamId, bool endStream, int maxFrameSize, params (string Name, string Value)[] headers) =>
        WriteAsync(o => WriteHeaders(o, streamId, endStream, maxFrameSize, headers));

    /// <summary>Writes a header block as HEADERS (then CONTINUATION) frames into <paramref name="output"/>, e.g. to send it together with other frames.</summary>
    public void WriteHeaders(IBufferWriter<byte> output, int streamId, bool endStream, int maxFrameSize, params (string Name, string Value)[] headers)
    {
        var block = new ArrayBufferWriter<byte>();
        _encoder.BeginBlock(block);
        foreach (var (name, value) in headers)
        {
            _encoder.Encode(name, value, block);
        }

        Http2FrameWriter.WriteHeaders(output, streamId, block.WrittenSpan, endStream, maxFrameSize);
    }

    public Task SendDataAsync(int streamId, byte[] data, bool endStream) =>
        WriteAsync(o => Http2FrameWriter.WriteData(o, streamId, new ReadOnlySequence<byte>(data), endStream));

    public Task SendRstAsync(int streamId, Http2ErrorCode code) => WriteAsync(o => Http2FrameWriter.WriteRstStream(o, streamId, code));

    public static byte[] Frame(Http2FrameType type, Http2FrameFlags flags, int streamId, byte[] payload)
    {
        var bytes = new byte[Http2FrameHeader.Size + payload.Length];
        new Http2FrameHeader(payload.Length, type, flags, streamId).Write(bytes);
        payload.CopyTo(bytes, Http2FrameHeader.Size);
        return bytes;
    }

    public static uint ReadUInt32(byte[] payload, int offset = 0) => BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(offset));

    public static long ReadInt64(byte[] payload) => BinaryPrimitives.ReadInt64BigEndian(payload);

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        if (_stream is not null)
        {
            await _stream.DisposeAsync();
        }
    }

    private sealed class ListSink : IHpackHeaderSink
    {
        public List<KeyValuePair<string, string>> Headers { get; } = [];

        public void OnHeader(string name, string value) => Headers.Add(new(name, value));
    }
}
