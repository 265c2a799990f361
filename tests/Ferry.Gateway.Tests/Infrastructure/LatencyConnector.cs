using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Ferry.Gateway.Upstream;
using Ferry.Grpc.Http2;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>
/// The gateway's upstream dialer over a long path: what the backend sends reaches the gateway <c>delay</c> later (the
/// round trip of a distant backend on loopback), and the frames the gateway sends are parsed on the way out, so a test
/// can see the windows it granted.
/// </summary>
internal sealed class LatencyConnector(TimeSpan delay) : IUpstreamConnector
{
    /// <summary>Every stream WINDOW_UPDATE increment the gateway sent, in order.</summary>
    public ConcurrentQueue<uint> StreamWindowUpdates { get; } = new();

    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return new DelayedStream(new NetworkStream(socket, ownsSocket: true), delay, this);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class DelayedStream : Stream
    {
        private readonly NetworkStream _inner;
        private readonly TimeSpan _delay;
        private readonly LatencyConnector _owner;
        private readonly Channel<(long Due, byte[] Data)> _arrivals = Channel.CreateUnbounded<(long, byte[])>();
        private readonly CancellationTokenSource _stop = new();
        private readonly List<byte> _written = [];
        private int _prefaceLeft = Http2FrameWriter.ClientPreface.Length;
        private ReadOnlyMemory<byte> _current;

        public DelayedStream(NetworkStream inner, TimeSpan delay, LatencyConnector owner)
        {
            _inner = inner;
            _delay = delay;
            _owner = owner;
            _ = PumpAsync();
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
                _arrivals.Writer.TryComplete(ex is OperationCanceledException ? null : new IOException("The backend connection failed.", ex));
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
            Record(buffer.Span);
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

        /// <summary>Follows the gateway's frames (written from one writer at a time) and notes stream window updates.</summary>
        private void Record(ReadOnlySpan<byte> bytes)
        {
            lock (_written)
            {
                var skip = Math.Min(_prefaceLeft, bytes.Length);
                _prefaceLeft -= skip;
                foreach (var b in bytes[skip..])
                {
                    _written.Add(b);
                }

                while (_written.Count >= 9)
                {
                    var length = (_written[0] << 16) | (_written[1] << 8) | _written[2];
                    if (_written.Count < 9 + length)
                    {
                        break;
                    }

                    var frame = _written.GetRange(0, 9 + length).ToArray();
                    _written.RemoveRange(0, 9 + length);
                    var streamId = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(5)) & int.MaxValue;
                    if ((Http2FrameType)frame[3] == Http2FrameType.WindowUpdate && streamId != 0)
                    {
                        _owner.StreamWindowUpdates.Enqueue(BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(9)) & int.MaxValue);
                    }
                }
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _stop.Cancel();
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
