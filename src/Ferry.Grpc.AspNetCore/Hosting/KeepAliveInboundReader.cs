using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Ferry.Grpc.AspNetCore.Hosting;

/// <summary>
/// The connection's input as Kestrel reads it, with each new byte scanned in place for frame headers on the way
/// through. Kestrel usually consumes less than a read returned (a partial frame stays buffered), so the reader keeps
/// how far past the consumed point it has already scanned, and scans only beyond that on the next read.
/// </summary>
internal sealed class KeepAliveInboundReader(PipeReader inner, KeepAliveEnforcer enforcer) : PipeReader
{
    private Http2FrameScanner _scanner = Http2FrameScanner.ClientToServer();
    private ReadOnlySequence<byte> _lastBuffer;
    private long _scannedAhead;

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var pending = inner.ReadAsync(cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            var result = pending.Result;
            Scan(result.Buffer);
            return new ValueTask<ReadResult>(result);
        }

        return AwaitAndScanAsync(pending);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        Scan(result.Buffer);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (!_lastBuffer.IsEmpty)
        {
            _scannedAhead -= _lastBuffer.Slice(_lastBuffer.Start, consumed).Length;
            _lastBuffer = default;
        }

        inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> AwaitAndScanAsync(ValueTask<ReadResult> pending)
    {
        var result = await pending.ConfigureAwait(false);
        Scan(result.Buffer);
        return result;
    }

    private void Scan(in ReadOnlySequence<byte> buffer)
    {
        _lastBuffer = buffer;
        if (_scanner.IsFailed || buffer.Length <= _scannedAhead)
        {
            return;
        }

        foreach (var segment in buffer.Slice(_scannedAhead))
        {
            var bytes = segment.Span;
            while (_scanner.TryReadFrameHeader(ref bytes, out var frame))
            {
                enforcer.OnClientFrame(frame);
            }

            if (_scanner.IsFailed)
            {
                enforcer.NotHttp2();
                break;
            }
        }

        _scannedAhead = buffer.Length;
    }
}
