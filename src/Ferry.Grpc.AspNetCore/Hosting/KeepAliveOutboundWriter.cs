using System.IO.Pipelines;

namespace Ferry.Grpc.AspNetCore.Hosting;

/// <summary>
/// The connection's output as Kestrel writes it: bytes go straight into the transport's own buffers and are scanned
/// there, in place, when Kestrel advances past them.
/// </summary>
/// <remarks>
/// Why a GOAWAY can be put in without corrupting Kestrel's stream: it is written only from inside Kestrel's own calls
/// to <see cref="FlushAsync"/> or <see cref="WriteAsync"/> — which Kestrel already serialises, as any
/// <see cref="PipeWriter"/> caller must — and only when the scanner says every byte written so far belongs to a whole
/// frame. There Kestrel holds no buffer from <see cref="GetMemory"/>, and no flush of ours can race one of its writes,
/// so no lock and no copying pipe are needed. Kestrel answers the offending PING with a PING ACK, so a flush always
/// follows soon; should none come, the enforcer's close timer still ends the connection.
/// </remarks>
internal sealed class KeepAliveOutboundWriter(PipeWriter inner, KeepAliveEnforcer enforcer) : PipeWriter
{
    private Http2FrameScanner _scanner = Http2FrameScanner.ServerToClient();
    private Memory<byte> _lent;

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;

    public override Memory<byte> GetMemory(int sizeHint = 0) => _lent = inner.GetMemory(sizeHint);

    // Lent as memory even when asked for a span, so that Advance can still read the bytes written into it.
    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int bytes)
    {
        if ((uint)bytes <= (uint)_lent.Length)
        {
            Scan(_lent.Span[..bytes]);
        }

        _lent = default;
        inner.Advance(bytes);
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        WriteGoAwayIfDue();
        return inner.FlushAsync(cancellationToken);
    }

    public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        WriteGoAwayIfDue();
        Scan(source.Span);
        return inner.WriteAsync(source, cancellationToken);
    }

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    private void WriteGoAwayIfDue()
    {
        if (enforcer.IsGoAwayDue && _scanner.IsAtFrameBoundary)
        {
            enforcer.WriteGoAwayIfDue(inner);
        }
    }

    private void Scan(ReadOnlySpan<byte> bytes)
    {
        while (_scanner.TryReadFrameHeader(ref bytes, out var frame))
        {
            enforcer.OnServerFrame(frame);
        }
    }
}
