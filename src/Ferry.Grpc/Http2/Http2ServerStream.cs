using System.Buffers;
using System.IO.Pipelines;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>
/// One request/response exchange on an <see cref="Http2ServerConnection"/>, as the handler sees it. The request's
/// pseudo-headers and headers are validated before the handler is called (a malformed request is reset by the
/// connection and never reaches it). The handler drains the body with <see cref="TryReadBody"/>/<see cref="ReadBodyAsync"/>
/// and <see cref="AdvanceBody(SequencePosition, SequencePosition)"/> (which returns flow-control credit to the client
/// for what was consumed), answers with <see cref="WriteHeaders{TState}"/>, <see cref="TryWriteData"/>/
/// <see cref="WriteDataAsync"/> and <see cref="WriteTrailers{TState}"/>, and calls <see cref="Complete"/> once.
/// Writes are queued and leave when the connection's writer runs (<see cref="Flush"/> asks for that now).
/// </summary>
internal sealed class Http2ServerStream
{
    internal Http2ServerStream() => throw new NotImplementedException();

    public int Id => throw new NotImplementedException();

    /// <summary>:method.</summary>
    public string Method => throw new NotImplementedException();

    /// <summary>:scheme.</summary>
    public string Scheme => throw new NotImplementedException();

    /// <summary>:authority, or the host header when the client sent no :authority; "" if neither.</summary>
    public string Authority => throw new NotImplementedException();

    /// <summary>:path as sent (path and query).</summary>
    public string Path => throw new NotImplementedException();

    /// <summary>
    /// The request headers in the order received, without pseudo-headers. Names are lowercase; values are the octets
    /// as sent, one char each (Latin-1), so they can be forwarded unchanged.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> RequestHeaders => throw new NotImplementedException();

    /// <summary>The request's trailers, once the body has completed; empty if it ended without any.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> RequestTrailers => throw new NotImplementedException();

    /// <summary>True once the response headers were queued.</summary>
    public bool HasStarted => throw new NotImplementedException();

    /// <summary>Whether the stream is over: ended both ways, reset by either side, or its connection failed.</summary>
    public bool IsClosed => throw new NotImplementedException();

    /// <summary>
    /// Reads the request body without waiting. The result completes when the client ended the request; reading fails
    /// with an <see cref="IOException"/> once the client reset the stream or the connection was lost.
    /// </summary>
    public bool TryReadBody(out ReadResult result) => throw new NotImplementedException();

    public ValueTask<ReadResult> ReadBodyAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>Consumes the body up to <paramref name="consumed"/> and grants the client as much window again.</summary>
    public void AdvanceBody(SequencePosition consumed, SequencePosition examined) => throw new NotImplementedException();

    public void AdvanceBody(SequencePosition consumed) => AdvanceBody(consumed, consumed);

    /// <summary>Makes a pending <see cref="ReadBodyAsync"/> return at once (with IsCanceled).</summary>
    public void CancelPendingBodyRead() => throw new NotImplementedException();

    /// <summary>
    /// Runs <paramref name="callback"/> once if the client resets the stream or the connection is lost before the
    /// response ended (at once if that already happened). One registration per stream. Runs on the thread pool.
    /// </summary>
    public void OnAborted(Action<object?> callback, object? state) => throw new NotImplementedException();

    /// <summary>
    /// Queues the response HEADERS: :status, then what <paramref name="write"/> adds (lowercase names, no
    /// pseudo-headers, no connection-specific fields). With <paramref name="endStream"/> the response ends here
    /// (a gRPC trailers-only response). Once per stream.
    /// </summary>
    public void WriteHeaders<TState>(int status, TState state, Action<Http2HeaderWriter, TState> write, bool endStream) =>
        throw new NotImplementedException();

    /// <summary>Queues <paramref name="data"/> if the flow-control windows allow all of it now; false (nothing queued) if not.</summary>
    public bool TryWriteData(in ReadOnlySequence<byte> data, bool endStream) => throw new NotImplementedException();

    /// <summary>
    /// Queues <paramref name="data"/>, waiting for window as needed (what fits leaves first). Fails with an
    /// <see cref="IOException"/> if the stream is reset or the connection lost, and on cancellation.
    /// </summary>
    public ValueTask WriteDataAsync(ReadOnlySequence<byte> data, bool endStream, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException();

    /// <summary>Queues the trailers (HEADERS with END_STREAM), which end the response.</summary>
    public void WriteTrailers<TState>(TState state, Action<Http2HeaderWriter, TState> write) => throw new NotImplementedException();

    /// <summary>Makes what was queued leave now rather than with the next write.</summary>
    public void Flush() => throw new NotImplementedException();

    /// <summary>Resets the stream with <paramref name="errorCode"/> (RST_STREAM) unless it is already closed.</summary>
    public void Reset(Http2ErrorCode errorCode) => throw new NotImplementedException();

    /// <summary>
    /// The handler is done. A response that did not end is reset (INTERNAL_ERROR); a request still open after a
    /// complete response is reset with NO_ERROR (RFC 9113 §8.1) so the client stops sending. Frees the stream's buffers.
    /// </summary>
    public void Complete() => throw new NotImplementedException();
}
