using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Ferry.Gateway.Config;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc.Http2;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// What arrives in one read leaves in one write: a unary response read from the backend at once goes to the client as
/// one TCP segment (not headers and message, then trailers), and requests read from the client at once go to the
/// backend together. Counted by the kernel (TCP_INFO's segments with data received), on raw sockets at both ends so
/// that nothing but the gateway decides how the bytes are split.
/// </summary>
public sealed class WriteBatchingTests
{
    private const string UnaryPath = "/ferry.gateway.tests.Probe/Unary";
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task A_unary_response_the_backend_sent_in_one_write_reaches_the_client_in_one_segment()
    {
        var encoder = new HpackEncoder();
        await using var backend = new RawHttp2Backend(async (stream, _, stop) =>
        {
            await ReadPrefaceAndAnnounceAsync(stream, stop);
            while (true)
            {
                var (header, _) = await RawHttp2Backend.ReadFrameAsync(stream, stop);
                if (header.IsEndStream)
                {
                    await RawHttp2Backend.WriteAsync(stream, o => RawHttp2Backend.WriteUnaryReply(o, encoder, header.StreamId));
                }
            }
        });
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", [new EndpointConfig { Address = $"127.0.0.1:{backend.Port}" }]));
        await using var client = await RawClient.ConnectAsync(gateway.Address);

        // The first call opens the backend connection and settles both connections' SETTINGS.
        await client.CallAsync(streamIds: [1]);
        await client.DrainAsync(Settle);

        var before = DataSegmentsReceived(client.Socket);
        var frames = await client.CallAsync(streamIds: [3]);
        await client.DrainAsync(Settle);
        var after = DataSegmentsReceived(client.Socket);

        Assert.Equal([Http2FrameType.Headers, Http2FrameType.Data, Http2FrameType.Headers], frames.Select(f => f.Type));
        Assert.Equal(1u, after - before);
    }

    [Fact]
    public async Task Requests_the_client_sent_in_one_write_reach_the_backend_in_one_segment()
    {
        var encoder = new HpackEncoder();
        var measured = new TaskCompletionSource<uint>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var backend = new RawHttp2Backend(async (stream, _, stop) =>
        {
            var socket = ((NetworkStream)stream).Socket;
            await ReadPrefaceAndAnnounceAsync(stream, stop);
            var ended = 0;
            var before = 0u;
            while (true)
            {
                var (header, _) = await RawHttp2Backend.ReadFrameAsync(stream, stop);
                if (!header.IsEndStream)
                {
                    continue;
                }

                if (++ended == 1)
                {
                    // Whatever else the gateway sends at the start of a connection arrives before the count starts.
                    await Task.Delay(Settle, stop);
                    before = DataSegmentsReceived(socket);
                }
                else if (ended == 3)
                {
                    await Task.Delay(Settle, stop);
                    measured.TrySetResult(DataSegmentsReceived(socket) - before);
                }

                await RawHttp2Backend.WriteAsync(stream, o => RawHttp2Backend.WriteUnaryReply(o, encoder, header.StreamId));
            }
        });
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", [new EndpointConfig { Address = $"127.0.0.1:{backend.Port}" }]));
        await using var client = await RawClient.ConnectAsync(gateway.Address);

        await client.CallAsync(streamIds: [1]);
        var frames = await client.CallAsync(streamIds: [3, 5]);

        Assert.Equal(6, frames.Count);
        Assert.Equal(1u, await measured.Task.WaitAsync(TestTimeouts.Default));
    }

    private static async Task ReadPrefaceAndAnnounceAsync(Stream stream, CancellationToken stop)
    {
        var preface = new byte[Http2FrameWriter.ClientPreface.Length];
        await stream.ReadExactlyAsync(preface, stop);
        await RawHttp2Backend.WriteAsync(stream, o => Http2FrameWriter.WriteSettings(o, []));
    }

    /// <summary>Segments with data this socket received so far (Linux TCP_INFO, tcpi_data_segs_in).</summary>
    private static uint DataSegmentsReceived(Socket socket)
    {
        const int IpProtoTcp = 6, TcpInfo = 11, DataSegmentsInOffset = 152;
        var info = new byte[256];
        var length = socket.GetRawSocketOption(IpProtoTcp, TcpInfo, info);
        Assert.True(length >= DataSegmentsInOffset + 4, $"TCP_INFO returned {length} bytes, too few for tcpi_data_segs_in.");
        return MemoryMarshal.Read<uint>(info.AsSpan(DataSegmentsInOffset));
    }

    /// <summary>An HTTP/2 client on a raw socket that sends whole unary requests in one write and reads frames.</summary>
    private sealed class RawClient : IAsyncDisposable
    {
        private readonly NetworkStream _stream;
        private readonly HpackEncoder _encoder = new();
        private readonly string _authority;

        private RawClient(Socket socket, string authority)
        {
            Socket = socket;
            _stream = new NetworkStream(socket, ownsSocket: true);
            _authority = authority;
        }

        public Socket Socket { get; }

        public static async Task<RawClient> ConnectAsync(Uri address)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Loopback, address.Port);
            var client = new RawClient(socket, address.Authority);
            await RawHttp2Backend.WriteAsync(client._stream, o =>
            {
                o.Write(Http2FrameWriter.ClientPreface);
                Http2FrameWriter.WriteSettings(o, []);
            });
            return client;
        }

        /// <summary>Sends a unary request on each stream, all in one write; returns their frames once every one ended.</summary>
        public async Task<List<Http2FrameHeader>> CallAsync(int[] streamIds)
        {
            await RawHttp2Backend.WriteAsync(_stream, o =>
            {
                foreach (var id in streamIds)
                {
                    var block = new ArrayBufferWriter<byte>();
                    _encoder.BeginBlock(block);
                    foreach (var (name, value) in new[] { (":method", "POST"), (":scheme", "http"), (":path", UnaryPath), (":authority", _authority), ("content-type", "application/grpc"), ("te", "trailers") })
                    {
                        _encoder.Encode(name, value, block);
                    }

                    Http2FrameWriter.WriteHeaders(o, id, block.WrittenSpan, false, 16_384);
                    Http2FrameWriter.WriteData(o, id, new ReadOnlySequence<byte>(new byte[5]), true);
                }
            });

            var frames = new List<Http2FrameHeader>();
            var open = new HashSet<int>(streamIds);
            using var timeout = new CancellationTokenSource(TestTimeouts.Default);
            while (open.Count > 0)
            {
                var header = await ReadFrameAsync(timeout.Token);
                if (open.Contains(header.StreamId))
                {
                    frames.Add(header);
                    Assert.NotEqual(Http2FrameType.RstStream, header.Type);
                    if (header.IsEndStream)
                    {
                        open.Remove(header.StreamId);
                    }
                }
            }

            return frames;
        }

        /// <summary>Reads (and answers) whatever else the gateway sends within <paramref name="quiet"/>.</summary>
        public async Task DrainAsync(TimeSpan quiet)
        {
            using var timeout = new CancellationTokenSource(quiet);
            try
            {
                while (true)
                {
                    await ReadFrameAsync(timeout.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private async Task<Http2FrameHeader> ReadFrameAsync(CancellationToken cancellationToken)
        {
            var (header, _) = await RawHttp2Backend.ReadFrameAsync(_stream, cancellationToken);
            if (header.Type == Http2FrameType.Settings && !header.HasFlag(Http2FrameFlags.Ack))
            {
                await RawHttp2Backend.WriteAsync(_stream, Http2FrameWriter.WriteSettingsAck);
            }

            return header;
        }

        public ValueTask DisposeAsync() => _stream.DisposeAsync();
    }
}
