using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Ferry.Grpc.Tests.KeepAlive;

/// <summary>
/// An HTTP/2 client written frame by frame, so a test controls exactly when PINGs go out. Every read is bounded by
/// <see cref="Timeout"/>. Header blocks are HPACK literals without indexing or Huffman coding.
/// </summary>
internal sealed class RawHttp2Connection : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly string _scheme;
    private readonly string _authority;

    private RawHttp2Connection(TcpClient tcp, Stream stream, string scheme, string authority)
    {
        _tcp = tcp;
        _stream = stream;
        _scheme = scheme;
        _authority = authority;
    }

    /// <summary>Every frame read so far, in order.</summary>
    public List<RawFrame> Received { get; } = [];

    /// <summary>Connects to 127.0.0.1 on the address's port (over TLS trusting only <paramref name="trustedCa"/> when given) and exchanges SETTINGS.</summary>
    public static async Task<RawHttp2Connection> ConnectAsync(Uri address, X509Certificate2? trustedCa = null)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(IPAddress.Loopback, address.Port).WaitAsync(Timeout);
            Stream stream = tcp.GetStream();
            if (trustedCa is not null)
            {
                var tls = new SslStream(stream);
                var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
                policy.CustomTrustStore.Add(trustedCa);
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "localhost",
                    ApplicationProtocols = [SslApplicationProtocol.Http2],
                    CertificateChainPolicy = policy,
                }).WaitAsync(Timeout);
                Assert.Equal(SslApplicationProtocol.Http2, tls.NegotiatedApplicationProtocol);
                stream = tls;
            }

            var connection = new RawHttp2Connection(tcp, stream, trustedCa is null ? "http" : "https", $"127.0.0.1:{address.Port}");
            await connection.HandshakeAsync();
            return connection;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Sends a PING and waits for its ACK; fails if a GOAWAY comes first.</summary>
    public async Task PingAsync(long payload)
    {
        await SendPingAsync(payload);
        await ReadUntilAsync(frame => frame.IsPingAck(payload), failOnGoAway: true);
    }

    public Task SendPingAsync(long payload)
    {
        var data = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(data, payload);
        return WriteFrameAsync(RawFrame.Ping, 0, 0, data);
    }

    /// <summary>Opens a gRPC call: request HEADERS, without END_STREAM.</summary>
    public Task StartCallAsync(int streamId, string path)
    {
        var block = new MemoryStream();
        foreach (var (name, value) in new[]
        {
            (":method", "POST"), (":scheme", _scheme), (":path", path), (":authority", _authority),
            ("content-type", "application/grpc"), ("te", "trailers"),
        })
        {
            block.WriteByte(0x00); // literal header field without indexing, new name
            WriteHpackString(block, name);
            WriteHpackString(block, value);
        }

        return WriteFrameAsync(RawFrame.Headers, RawFrame.EndHeaders, streamId, block.ToArray());
    }

    /// <summary>Sends one gRPC message (uncompressed) as a DATA frame.</summary>
    public Task SendMessageAsync(int streamId, byte[] message, bool endStream)
    {
        var data = new byte[5 + message.Length];
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(1), message.Length);
        message.CopyTo(data, 5);
        return WriteFrameAsync(RawFrame.Data, endStream ? RawFrame.EndStreamOrAck : (byte)0, streamId, data);
    }

    /// <summary>A unary call with an empty request message, read to its trailers.</summary>
    public async Task<RawCallResult> UnaryCallAsync(int streamId, string path)
    {
        await StartCallAsync(streamId, path);
        await SendMessageAsync(streamId, [], endStream: true);
        return await ReadCallResultAsync(streamId);
    }

    /// <summary>Reads the response of a call up to its END_STREAM; fails on a GOAWAY.</summary>
    public async Task<RawCallResult> ReadCallResultAsync(int streamId)
    {
        var start = Received.Count;
        await ReadUntilAsync(f => f.StreamId == streamId && (f.Flags & RawFrame.EndStreamOrAck) != 0 && f.Type is RawFrame.Headers or RawFrame.Data, failOnGoAway: true);
        var frames = Received.Skip(start).Where(f => f.StreamId == streamId).ToList();
        return new RawCallResult(
            [.. frames.Where(f => f.Type == RawFrame.Data).SelectMany(f => f.Payload)],
            [.. frames.Where(f => f.Type == RawFrame.Headers).SelectMany(f => f.Payload)]);
    }

    /// <summary>Reads frames until one matches; each read is bounded by <see cref="Timeout"/>.</summary>
    public async Task<RawFrame> ReadUntilAsync(Func<RawFrame, bool> match, bool failOnGoAway = false)
    {
        while (true)
        {
            var frame = await ReadFrameAsync() ?? throw new InvalidOperationException("The server closed the connection.");
            if (match(frame))
            {
                return frame;
            }

            if (failOnGoAway && frame.IsGoAway)
            {
                throw new InvalidOperationException($"Unexpected GOAWAY: error 0x{frame.GoAwayErrorCode:x}, '{frame.GoAwayDebugData}'.");
            }
        }
    }

    /// <summary>Reads (and keeps) frames until the server closes the connection.</summary>
    public async Task WaitForCloseAsync()
    {
        try
        {
            while (await ReadFrameAsync() is not null)
            {
            }
        }
        catch (IOException)
        {
            // A reset is a close too.
        }
    }

    /// <summary>The next frame, or null when the server closed the connection.</summary>
    public async Task<RawFrame?> ReadFrameAsync()
    {
        var header = new byte[9];
        if (!await ReadExactlyOrEndAsync(header))
        {
            return null;
        }

        var length = header[0] << 16 | header[1] << 8 | header[2];
        var payload = new byte[length];
        if (!await ReadExactlyOrEndAsync(payload))
        {
            return null;
        }

        var frame = new RawFrame(header[3], header[4], BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7FFF_FFFF, payload);
        Received.Add(frame);
        return frame;
    }

    public Task WriteFrameAsync(byte type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), streamId);
        payload.CopyTo(frame, 9);
        return WriteAsync(frame);
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _tcp.Dispose();
    }

    private async Task HandshakeAsync()
    {
        await WriteAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        await WriteFrameAsync(RawFrame.Settings, 0, 0, []);
        await ReadUntilAsync(f => f.Type == RawFrame.Settings && (f.Flags & RawFrame.EndStreamOrAck) == 0);
        await WriteFrameAsync(RawFrame.Settings, RawFrame.EndStreamOrAck, 0, []);
    }

    private async Task WriteAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes).AsTask().WaitAsync(Timeout);
        await _stream.FlushAsync().WaitAsync(Timeout);
    }

    private async Task<bool> ReadExactlyOrEndAsync(byte[] buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await _stream.ReadAsync(buffer.AsMemory(read)).AsTask().WaitAsync(Timeout);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }

    private static void WriteHpackString(MemoryStream block, string value)
    {
        var bytes = Encoding.ASCII.GetBytes(value);
        Assert.True(bytes.Length < 127, "Only short HPACK strings are encoded.");
        block.WriteByte((byte)bytes.Length);
        block.Write(bytes);
    }
}
