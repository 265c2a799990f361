using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Ferry.Grpc.Http2;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>
/// One end of a long path on loopback: what the peer sends is handed to the reader <c>delay</c> after it arrived (so a
/// PING answered at once comes back a round trip later), and the stream WINDOW_UPDATEs going each way are noted.
/// </summary>
internal sealed class DelayedStream : Stream
{
    private readonly NetworkStream _inner;
    private readonly TimeSpan _delay;
    private readonly Channel<(long Due, byte[] Data)> _arrivals = Channel.CreateUnbounded<(long, byte[])>();
    private readonly CancellationTokenSource _stop = new();
    private readonly FrameScanner _sent;
    private readonly FrameScanner _received;
    private ReadOnlyMemory<byte> _current;

    /// <param name="granted">Increments of the stream WINDOW_UPDATEs this end sends.</param>
    /// <param name="grantedByPeer">Increments of the stream WINDOW_UPDATEs the peer sends.</param>
    private DelayedStream(NetworkStream inner, TimeSpan delay, ConcurrentQueue<uint>? granted = null, ConcurrentQueue<uint>? grantedByPeer = null)
    {
        _inner = inner;
        _delay = delay;
        _sent = new FrameScanner(granted);
        _received = new FrameScanner(grantedByPeer);
        _ = PumpAsync();
    }

    /// <summary>Dials <paramref name="endpoint"/> and wraps the connection.</summary>
    public static async ValueTask<Stream> ConnectAsync(
        EndPoint endpoint, TimeSpan delay, ConcurrentQueue<uint>? granted, ConcurrentQueue<uint>? grantedByPeer, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return new DelayedStream(new NetworkStream(socket, ownsSocket: true), delay, granted, grantedByPeer);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    private async Task PumpAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await _inner.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    break;
                }

                _arrivals.Writer.TryWrite((Environment.TickCount64 + (long)_delay.TotalMilliseconds, buffer[..read]));
            }

            _arrivals.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            _arrivals.Writer.TryComplete(ex is OperationCanceledException ? null : new IOException("The connection failed.", ex));
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_current.IsEmpty)
        {
            if (!await _arrivals.Reader.WaitToReadAsync(cancellationToken) || !_arrivals.Reader.TryRead(out var arrival))
            {
                return 0;
            }

            var wait = arrival.Due - Environment.TickCount64;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait), cancellationToken);
            }

            _received.Scan(arrival.Data);
            _current = arrival.Data;
        }

        var length = Math.Min(buffer.Length, _current.Length);
        _current.Span[..length].CopyTo(buffer.Span);
        _current = _current[length..];
        return length;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _sent.Scan(buffer.Span);
        await _inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _stop.Cancel();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Follows one direction's frames (the client preface skipped) and notes stream window increments.</summary>
    private sealed class FrameScanner(ConcurrentQueue<uint>? sink)
    {
        private readonly List<byte> _pending = [];
        private bool _started;

        public void Scan(ReadOnlySpan<byte> bytes)
        {
            if (sink is null)
            {
                return;
            }

            lock (_pending)
            {
                foreach (var b in bytes)
                {
                    _pending.Add(b);
                }

                if (!_started)
                {
                    var preface = Http2FrameWriter.ClientPreface;
                    if (_pending.Count < preface.Length && preface.StartsWith(_pending.ToArray()))
                    {
                        return;
                    }

                    if (_pending.Count >= preface.Length && preface.SequenceEqual(_pending.GetRange(0, preface.Length).ToArray()))
                    {
                        _pending.RemoveRange(0, preface.Length);
                    }

                    _started = true;
                }

                while (_pending.Count >= Http2FrameHeader.Size)
                {
                    var length = (_pending[0] << 16) | (_pending[1] << 8) | _pending[2];
                    if (_pending.Count < Http2FrameHeader.Size + length)
                    {
                        break;
                    }

                    var frame = _pending.GetRange(0, Http2FrameHeader.Size + length).ToArray();
                    _pending.RemoveRange(0, frame.Length);
                    var streamId = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(5)) & int.MaxValue;
                    if ((Http2FrameType)frame[3] == Http2FrameType.WindowUpdate && streamId != 0)
                    {
                        sink.Enqueue(BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(Http2FrameHeader.Size)) & int.MaxValue);
                    }
                }
            }
        }
    }
}
