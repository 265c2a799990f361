using System.Buffers;
using System.Runtime.CompilerServices;
using Ferry.Gateway.Upstream;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;

namespace Ferry.Gateway.Forwarding;

/// <summary>
/// The response: headers, a body pump that flushes only when it is about to wait (so nothing is held back, yet a
/// unary response leaves in one write), then trailers, or the backend's trailers-only response as it came.
/// Headers are queued lazily, so a response that turns out to have no body can still go out as trailers-only.
/// </summary>
internal sealed partial class GrpcForwarder
{
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ForwardResponseAsync(Downstream client, Http2ClientStream upstream, EndpointState endpoint, ForwardingCall call)
    {
        var downstream = client.Stream;
        var headersSent = false;
        var tracker = default(GrpcFrameTracker);
        // The body being written and how much the client's stream had queued before it, while a write is under way.
        var writing = ReadOnlySequence<byte>.Empty;
        var queuedBefore = 0L;
        try
        {
            while (true)
            {
                // Before each wait on the backend, send what we hold, headers included (never held back until the
                // first message); a read that completes at once sends nothing yet, so a unary response leaves in
                // one write.
                if (!upstream.TryReadBody(out var result))
                {
                    headersSent = SendHeaders(downstream, upstream, headersSent);
                    downstream.Flush();
                    result = await upstream.ReadBodyAsync().ConfigureAwait(false);
                }

                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    headersSent = SendHeaders(downstream, upstream, headersSent);
                    writing = buffer;
                    queuedBefore = downstream.BodyBytesQueued;
                    if (!downstream.TryWriteData(buffer, endStream: false))
                    {
                        await downstream.WriteDataAsync(buffer, endStream: false, call.Token).ConfigureAwait(false);
                    }

                    writing = ReadOnlySequence<byte>.Empty;
                    tracker.Advance(buffer);
                    call.OnResponseBytes(buffer.Length, tracker.Messages);
                }

                upstream.AdvanceBody(result);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            // A write cut short (the deadline passed while the client's window was full) may have queued part of the
            // body: what was queued decides whether the client's stream stops at a message boundary (Fail says what
            // each case is sent).
            if (!writing.IsEmpty)
            {
                tracker.Advance(writing.Slice(0, Math.Min(downstream.BodyBytesQueued - queuedBefore, writing.Length)));
            }

            Fail(client, call, endpoint, ex, headersSent, tracker.AtBoundary);
            return;
        }

        // Recorded before the client can see the status, so a call it makes next is balanced knowing the outcome.
        var status = GrpcStatusOf(upstream.EndedWithHeaders ? upstream.Headers : upstream.Trailers);
        call.Outcome.GrpcStatus = status;
        RecordEndpointResult(endpoint, status);
        EndResponse(downstream, upstream, headersSent);
    }

    /// <summary>Queues the backend's response headers unless they went already; returns true (they are sent).</summary>
    private static bool SendHeaders(Http2ServerStream downstream, Http2ClientStream upstream, bool sent)
    {
        if (!sent)
        {
            downstream.WriteHeaders(upstream.StatusCode, upstream.Headers, WriteFields, endStream: false);
        }

        return true;
    }

    /// <summary>
    /// Ends the client's response as the backend ended its own. A response with no body whose headers have not gone
    /// out yet is sent as trailers-only (status in the headers): an empty body followed by trailers is what some
    /// proxies mangle.
    /// </summary>
    private static void EndResponse(Http2ServerStream downstream, Http2ClientStream upstream, bool headersSent)
    {
        if (upstream.EndedWithHeaders)
        {
            downstream.WriteHeaders(upstream.StatusCode, upstream.Headers, WriteFields, endStream: true);
        }
        else if (!headersSent)
        {
            downstream.WriteHeaders(upstream.StatusCode, upstream, static (headers, upstream) =>
            {
                WriteFields(headers, upstream.Headers);
                WriteFields(headers, upstream.Trailers);
            }, endStream: true);
        }
        else if (upstream.Trailers.Count > 0)
        {
            downstream.WriteTrailers(upstream.Trailers, WriteFields);
        }
        else if (!downstream.TryWriteData(ReadOnlySequence<byte>.Empty, endStream: true))
        {
            downstream.Reset(Http2ErrorCode.InternalError);
        }

        downstream.Flush();
    }

    private static void WriteFields(Http2HeaderWriter headers, IReadOnlyList<KeyValuePair<string, string>> fields)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            var (name, value) = fields[i];
            if (!HopByHopHeaders.IsHopByHop(name))
            {
                headers.AddOctets(name, value);
            }
        }
    }

    private static int GrpcStatusOf(IReadOnlyList<KeyValuePair<string, string>> fields) =>
        RequestHeaders.First(fields, GrpcProtocol.StatusHeader) is { } status && int.TryParse(status, out var code) ? code : -1;

    /// <summary>Backend-side failures count towards ejecting the endpoint; application errors do not.</summary>
    private static void RecordEndpointResult(EndpointState endpoint, int grpcStatus)
    {
        if (grpcStatus == (int)Ferry.Grpc.StatusCode.Unavailable)
        {
            endpoint.RecordFailure();
        }
        else
        {
            endpoint.RecordSuccess();
        }
    }
}
