using Ferry.Grpc.AspNetCore.Hosting;
using Ferry.Grpc.Http2;

namespace Ferry.Grpc.Tests.KeepAlive;

public sealed class Http2FrameScannerTests
{
    private static readonly Http2FrameHeader[] s_frames =
    [
        new(6, Http2FrameType.Settings, Http2FrameFlags.None, 0),
        new(10, Http2FrameType.Headers, Http2FrameFlags.EndHeaders, 1),
        new(8, Http2FrameType.Ping, Http2FrameFlags.None, 0),
        new(0, Http2FrameType.Settings, Http2FrameFlags.Ack, 0),
        new(20, Http2FrameType.Data, Http2FrameFlags.EndStream, 1),
        new(4, Http2FrameType.RstStream, Http2FrameFlags.None, 3),
    ];

    [Fact]
    public void FindsEveryFrameHeaderWhateverTheBytesArePiecedInto()
    {
        var bytes = ClientBytes();
        for (var piece = 1; piece <= bytes.Length; piece++)
        {
            var scanner = Http2FrameScanner.ClientToServer();
            var found = new List<Http2FrameHeader>();
            for (var offset = 0; offset < bytes.Length; offset += piece)
            {
                ReadOnlySpan<byte> span = bytes.AsSpan(offset, Math.Min(piece, bytes.Length - offset));
                while (scanner.TryReadFrameHeader(ref span, out var header))
                {
                    found.Add(header);
                }

                Assert.True(span.IsEmpty);
            }

            Assert.Equal(s_frames, found);
            Assert.True(scanner.IsAtFrameBoundary);
        }
    }

    [Fact]
    public void IsAtAFrameBoundaryOnlyBetweenWholeFrames()
    {
        var bytes = ClientBytes();
        var boundaries = new HashSet<int> { Http2FrameScanner.ClientPreface.Length };
        var end = Http2FrameScanner.ClientPreface.Length;
        foreach (var frame in s_frames)
        {
            end += Http2FrameHeader.Size + frame.Length;
            boundaries.Add(end);
        }

        var scanner = Http2FrameScanner.ClientToServer();
        for (var i = 0; i < bytes.Length; i++)
        {
            ReadOnlySpan<byte> one = bytes.AsSpan(i, 1);
            while (scanner.TryReadFrameHeader(ref one, out _))
            {
            }

            Assert.Equal(boundaries.Contains(i + 1), scanner.IsAtFrameBoundary);
        }
    }

    [Fact]
    public void BytesThatAreNotTheHttp2PrefaceStopTheScanner()
    {
        var scanner = Http2FrameScanner.ClientToServer();
        ReadOnlySpan<byte> http11 = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8;

        Assert.False(scanner.TryReadFrameHeader(ref http11, out _));
        Assert.True(scanner.IsFailed);
        Assert.False(scanner.IsAtFrameBoundary);
        ReadOnlySpan<byte> more = Frame(new(8, Http2FrameType.Ping, Http2FrameFlags.None, 0));
        Assert.False(scanner.TryReadFrameHeader(ref more, out _));
    }

    [Fact]
    public void TheServerDirectionHasNoPreface()
    {
        var scanner = Http2FrameScanner.ServerToClient();
        ReadOnlySpan<byte> bytes = Frame(new(8, Http2FrameType.Ping, Http2FrameFlags.Ack, 0));

        Assert.True(scanner.IsAtFrameBoundary);
        Assert.True(scanner.TryReadFrameHeader(ref bytes, out var header));
        Assert.Equal(Http2FrameType.Ping, header.Type);
        Assert.False(header.IsPingRequest);
    }

    internal static byte[] Frame(Http2FrameHeader header)
    {
        var bytes = new byte[Http2FrameHeader.Size + header.Length];
        header.Write(bytes);
        return bytes;
    }

    private static byte[] ClientBytes() =>
        [.. Http2FrameScanner.ClientPreface, .. s_frames.SelectMany(Frame)];
}
