using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Tests.Http2;

/// <summary>
/// A hand-driven HTTP/2 client on a loopback socket: the test writes whatever frames it likes, valid or not, and reads
/// the server's frames back to see how <see cref="Http2ServerConnection"/> answers. Header blocks the server sends are
/// decoded as they are read (HPACK state depends on their order); frames a test skipped over stay queued for later.
/// </summary>
internal sealed class RawHttp2Client : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = Http2ServerTestHost.Timeout;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly HpackEncoder _encoder = new();
    private readonly HpackDecoder _decoder = new(4096, 1 << 20);
    private readonly List<RawFrame> _queued = [];

    private RawHttp2Client(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<RawHttp2Client> ConnectAsync(int port, int? receiveBufferSize = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size)
        {
            socket.ReceiveBufferSize = size;
        }

        await socket.ConnectAsync(IPAddress.Loopback, port).WaitAsync(Timeout);
        return new RawHttp2Client(socket);
    }

    /// <summary>Connects and completes the handshake: preface and SETTINGS out, the server's SETTINGS in and acknowledged.</summary>
    public static async Task<RawHttp2Client> ConnectAndHandshakeAsync(int port, params (Http2SettingId Id, uint Value)[] settings)
    {
        var client = await ConnectAsync(port);
        await client.HandshakeAsync(settings);
        return client;
    }

    /// <summary>The server's SETTINGS, as received in the handshake.</summary>
    public Dictionary<Http2SettingId, uint> ServerSettings { get; } = [];

    public async Task HandshakeAsync(params (Http2SettingId Id, uint Value)[] settings)
    {
        await WriteAsync(o =>
        {
            o.Write(Http2FrameWriter.ClientPreface);
            Http2FrameWriter.WriteSettings(o, settings);
        });
        var serverSettings = await ReadFrameAsync();
        Assert.Equal(Http2FrameType.Settings, serverSettings.Header.Type);
        Assert.False(serverSettings.Header.HasFlag(Http2FrameFlags.Ack));
        for (var offset = 0; offset < serverSettings.Payload.Length; offset += 6)
        {
            ServerSettings[(Http2SettingId)BinaryPrimitives.ReadUInt16BigEndian(serverSettings.Payload.AsSpan(offset))] =
                BinaryPrimitives.ReadUInt32BigEndian(serverSettings.Payload.AsSpan(offset + 2));
        }

        await WriteAsync(Http2FrameWriter.WriteSettingsAck);
        await ReadFrameAsync(f => f.Header.Type == Http2FrameType.Settings && f.Header.HasFlag(Http2FrameFlags.Ack));
    }

    public Task WriteAsync(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return _stream.WriteAsync(buffer.WrittenMemory).AsTask().WaitAsync(Timeout);
    }

    public Task WriteRawAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask().WaitAsync(Timeout);

    /// <summary>Encodes a header block with this client's HPACK state.</summary>
    public byte[] EncodeHeaders(params (string Name, string Value)[] headers)
    {
        var block = new ArrayBufferWriter<byte>();
        _encoder.BeginBlock(block);
        foreach (var (name, value) in headers)
        {
            _encoder.Encode(name, value, block);
        }

        return block.WrittenSpan.ToArray();
    }

    /// <summary>
    /// A header block of literal fields without indexing, names and values as given (uppercase included), so that a
    /// test can send what an encoder would refuse; it leaves both HPACK tables as they are.
    /// </summary>
    public static byte[] LiteralBlock(params (string Name, string Value)[] fields)
    {
        var block = new List<byte>();
        foreach (var (name, value) in fields)
        {
            block.Add(0x00);
            AddString(name);
            AddString(value);
        }

        return [.. block];

        void AddString(string text)
        {
            var bytes = System.Text.Encoding.Latin1.GetBytes(text);
            Span<byte> length = stackalloc byte[6];
            block.AddRange(length[..HpackEncoder.WriteInteger(length, bytes.Length, 7, 0)]);
            block.AddRange(bytes);
        }
    }

    public Task SendHeadersAsync(int streamId, bool endStream, params (string Name, string Value)[] headers)
    {
        var block = EncodeHeaders(headers);
        return WriteAsync(o => Http2FrameWriter.WriteHeaders(o, streamId, block, endStream, 16_384));
    }

    /// <summary>The pseudo-headers and headers of a gRPC call to <paramref name="path"/>, then <paramref name="extra"/>.</summary>
    public static (string, string)[] Request(string path = "/echo.Echo/Call", params (string, string)[] extra) =>
    [
        (":method", "POST"), (":scheme", "http"), (":authority", "localhost"), (":path", path),
        ("content-type", "application/grpc"), ("te", "trailers"), .. extra,
    ];

    public Task SendRequestAsync(int streamId, bool endStream = false, string path = "/echo.Echo/Call") =>
        SendHeadersAsync(streamId, endStream, Request(path));

    public Task SendDataAsync(int streamId, byte[] data, bool endStream) =>
        WriteAsync(o => Http2FrameWriter.WriteData(o, streamId, new ReadOnlySequence<byte>(data), endStream));

    public Task SendWindowUpdateAsync(int streamId, int increment) => WriteAsync(o => Http2FrameWriter.WriteWindowUpdate(o, streamId, increment));

    public static byte[] Frame(Http2FrameType type, Http2FrameFlags flags, int streamId, byte[] payload)
    {
        var bytes = new byte[Http2FrameHeader.Size + payload.Length];
        new Http2FrameHeader(payload.Length, type, flags, streamId).Write(bytes);
        payload.CopyTo(bytes, Http2FrameHeader.Size);
        return bytes;
    }

    public static byte[] UInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>The next frame, queued or read (CONTINUATION frames already merged into their HEADERS).</summary>
    public async Task<RawFrame> ReadFrameAsync()
    {
        if (_queued.Count > 0)
        {
            var queued = _queued[0];
            _queued.RemoveAt(0);
            return queued;
        }

        return await ReadFromSocketAsync() ?? throw new EndOfStreamException("The server closed the connection.");
    }

    /// <summary>The first frame matching <paramref name="match"/>; frames before it stay queued.</summary>
    public async Task<RawFrame> ReadFrameAsync(Func<RawFrame, bool> match)
    {
        for (var i = 0; i < _queued.Count; i++)
        {
            if (match(_queued[i]))
            {
                var found = _queued[i];
                _queued.RemoveAt(i);
                return found;
            }
        }

        while (true)
        {
            var frame = await ReadFromSocketAsync() ?? throw new EndOfStreamException("The server closed the connection.");
            if (match(frame))
            {
                return frame;
            }

            _queued.Add(frame);
        }
    }

    public Task<RawFrame> ReadFrameAsync(Http2FrameType type, int? streamId = null) =>
        ReadFrameAsync(f => f.Header.Type == type && (streamId is null || f.Header.StreamId == streamId));

    public async Task<(int LastStreamId, string Debug)> ExpectGoAwayAsync(Http2ErrorCode code)
    {
        var frame = await ReadFrameAsync(Http2FrameType.GoAway);
        Assert.Equal(code, (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(frame.Payload.AsSpan(4)));
        return ((int)BinaryPrimitives.ReadUInt32BigEndian(frame.Payload), System.Text.Encoding.ASCII.GetString(frame.Payload, 8, frame.Payload.Length - 8));
    }

    public async Task ExpectRstStreamAsync(int streamId, Http2ErrorCode code)
    {
        var frame = await ReadFrameAsync(Http2FrameType.RstStream, streamId);
        Assert.Equal(code, (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(frame.Payload));
    }

    /// <summary>Reads (and drops) frames until the server closes the connection; returns them.</summary>
    public async Task<List<RawFrame>> ReadUntilClosedAsync()
    {
        var frames = new List<RawFrame>(_queued);
        _queued.Clear();
        try
        {
            while (await ReadFromSocketAsync() is { } frame)
            {
                frames.Add(frame);
            }
        }
        catch (IOException)
        {
            // Reset by the server rather than closed: closed all the same.
        }

        return frames;
    }

    /// <summary>Reads one stream's response to its end (END_STREAM or RST_STREAM), granting window for its data as it goes.</summary>
    public async Task<RawResponse> ReadResponseAsync(int streamId)
    {
        var response = new RawResponse();
        var body = new MemoryStream();
        while (true)
        {
            var frame = await ReadFrameAsync(f => f.Header.StreamId == streamId);
            switch (frame.Header.Type)
            {
                case Http2FrameType.Headers when response.Headers is null:
                    response.Headers = frame.Headers;
                    break;
                case Http2FrameType.Headers:
                    response.Trailers = frame.Headers;
                    break;
                case Http2FrameType.Data:
                    body.Write(frame.Payload);
                    if (frame.Payload.Length > 0)
                    {
                        await GrantWindowAsync(streamId, frame.Payload.Length);
                    }

                    break;
                case Http2FrameType.RstStream:
                    response.ResetCode = (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(frame.Payload);
                    response.Body = body.ToArray();
                    return response;
            }

            if (frame.Header.IsEndStream)
            {
                response.Body = body.ToArray();
                return response;
            }
        }
    }

    private async Task GrantWindowAsync(int streamId, int length)
    {
        try
        {
            await WriteAsync(o =>
            {
                Http2FrameWriter.WriteWindowUpdate(o, 0, length);
                Http2FrameWriter.WriteWindowUpdate(o, streamId, length);
            });
        }
        catch (IOException)
        {
            // The server may close the connection once the response is out (after a graceful shutdown).
        }
    }

    private async Task<RawFrame?> ReadFromSocketAsync()
    {
        var frame = await ReadOneAsync();
        if (frame is null || frame.Header.Type != Http2FrameType.Headers)
        {
            return frame;
        }

        var block = new MemoryStream();
        block.Write(frame.Payload);
        var header = frame.Header;
        while (!header.HasFlag(Http2FrameFlags.EndHeaders))
        {
            var continuation = await ReadOneAsync() ?? throw new EndOfStreamException("The server closed the connection inside a header block.");
            Assert.Equal(Http2FrameType.Continuation, continuation.Header.Type);
            block.Write(continuation.Payload);
            header = continuation.Header;
        }

        var sink = new ListSink();
        _decoder.Decode(block.ToArray(), sink);
        return frame with { Headers = sink.Fields };
    }

    private async Task<RawFrame?> ReadOneAsync()
    {
        var headerBytes = new byte[Http2FrameHeader.Size];
        if (!await ReadExactlyOrEndAsync(headerBytes))
        {
            return null;
        }

        var header = Http2FrameHeader.Read(headerBytes);
        var payload = new byte[header.Length];
        if (!await ReadExactlyOrEndAsync(payload))
        {
            throw new EndOfStreamException("The server closed the connection inside a frame.");
        }

        return new RawFrame(header, payload, null);
    }

    private async Task<bool> ReadExactlyOrEndAsync(byte[] buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var count = await _stream.ReadAsync(buffer.AsMemory(read)).AsTask().WaitAsync(Timeout);
            if (count == 0)
            {
                if (read == 0)
                {
                    return false;
                }

                throw new EndOfStreamException("The server closed the connection inside a frame.");
            }

            read += count;
        }

        return true;
    }

    /// <summary>Closes the sending side, as a client that is done would.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    public async ValueTask DisposeAsync() => await _stream.DisposeAsync();

    private sealed class ListSink : IHpackHeaderSink
    {
        public List<KeyValuePair<string, string>> Fields { get; } = [];

        public void OnHeader(string name, string value) => Fields.Add(new(name, value));
    }
}

/// <summary>A frame the server sent; for HEADERS, the decoded fields of the whole block.</summary>
internal sealed record RawFrame(Http2FrameHeader Header, byte[] Payload, List<KeyValuePair<string, string>>? Headers);

/// <summary>One stream's response as <see cref="RawHttp2Client.ReadResponseAsync"/> collected it.</summary>
internal sealed class RawResponse
{
    public List<KeyValuePair<string, string>>? Headers { get; set; }

    public List<KeyValuePair<string, string>>? Trailers { get; set; }

    public byte[] Body { get; set; } = [];

    public Http2ErrorCode? ResetCode { get; set; }

    public string? Header(string name) => Headers?.FirstOrDefault(h => h.Key == name).Value;

    public string? Trailer(string name) => Trailers?.FirstOrDefault(h => h.Key == name).Value;
}
