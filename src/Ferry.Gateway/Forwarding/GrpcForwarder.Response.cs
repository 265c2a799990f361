using System.Buffers;
using Ferry.Gateway.Upstream;
using Ferry.Grpc.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Ferry.Gateway.Forwarding;

/// <summary>
/// The response: headers, a body pump that flushes only when it is about to wait (so nothing is held back, yet a
/// unary response leaves in one write), then trailers.
/// </summary>
internal sealed partial class GrpcForwarder
{
    private const int ResponseBufferSize = 64 * 1024;

    private async Task ForwardResponseAsync(HttpContext context, HttpResponseMessage upstream, EndpointState endpoint, ForwardingCall call)
    {
        var response = context.Response;
        response.StatusCode = (int)upstream.StatusCode;
        CopyResponseHeaders(upstream, response);
        var tracker = default(GrpcFrameTracker);
        byte[]? buffer = null;
        try
        {
            var body = await upstream.Content.ReadAsStreamAsync(call.Token).ConfigureAwait(false);
            var writer = response.BodyWriter;
            while (true)
            {
                // Before each wait on the backend, send what we hold, headers included (never held back until the
                // first message); a read that completes at once sends nothing yet, so a unary response leaves in
                // one write.
                if (buffer is null)
                {
                    // Wait without holding a buffer: a zero-byte read completes once data (or the end) has arrived.
                    // Hundreds of calls waiting at once, each holding a pooled 64 KiB buffer, would drain the pool,
                    // and every call would then allocate (and the GC clear) a buffer of its own.
                    var ready = body.ReadAsync(Memory<byte>.Empty, call.Token);
                    if (!ready.IsCompleted)
                    {
                        await writer.FlushAsync(call.Token).ConfigureAwait(false);
                    }

                    await ready.ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(ResponseBufferSize);
                }

                var read = body.ReadAsync(buffer, call.Token);
                if (!read.IsCompleted)
                {
                    await writer.FlushAsync(call.Token).ConfigureAwait(false);
                }

                var count = await read.ConfigureAwait(false);
                if (count == 0)
                {
                    break;
                }

                tracker.Advance(buffer.AsSpan(0, count));
                writer.Write(buffer.AsSpan(0, count));
                call.OnResponseBytes(count, tracker.Messages);
                if (count < buffer.Length)
                {
                    // Took all that had arrived: give the buffer back before the next wait.
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
            }
        }
        catch (Exception ex)
        {
            await FailAsync(context, call, endpoint, ex, response.HasStarted || call.Outcome.ResponseBytes > 0, tracker.AtBoundary).ConfigureAwait(false);
            return;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        var status = CopyTrailers(upstream, context, bodyWasEmpty: call.Outcome.ResponseBytes == 0);
        call.Outcome.GrpcStatus = status;
        RecordEndpointResult(endpoint, status);
        await response.CompleteAsync().ConfigureAwait(false);
    }

    private static void CopyResponseHeaders(HttpResponseMessage upstream, HttpResponse response)
    {
        var headers = response.Headers;
        foreach (var header in upstream.Headers.NonValidated)
        {
            if (!HopByHopHeaders.IsHopByHop(header.Key))
            {
                headers[header.Key] = ToStringValues(header.Value);
            }
        }

        foreach (var header in upstream.Content.Headers.NonValidated)
        {
            if (!HopByHopHeaders.IsHopByHop(header.Key))
            {
                headers[header.Key] = ToStringValues(header.Value);
            }
        }
    }

    /// <summary>
    /// Copies the backend's trailers. A response with no body whose headers have not gone out yet is sent as
    /// trailers-only (status in the headers): an empty body followed by trailers is what some proxies mangle.
    /// Returns the grpc-status the client will see, or -1 if there is none.
    /// </summary>
    private static int CopyTrailers(HttpResponseMessage upstream, HttpContext context, bool bodyWasEmpty)
    {
        var response = context.Response;
        var trailersOnly = bodyWasEmpty && !response.HasStarted;
        var target = trailersOnly ? response.Headers : context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        if (target is null)
        {
            return -1;
        }

        foreach (var header in upstream.TrailingHeaders.NonValidated)
        {
            target[header.Key] = ToStringValues(header.Value);
        }

        var status = target[GrpcProtocol.StatusHeader];
        return status.Count == 1 && int.TryParse(status.ToString(), out var code) ? code : -1;
    }

    private static Microsoft.Extensions.Primitives.StringValues ToStringValues(System.Net.Http.Headers.HeaderStringValues values) =>
        values.Count == 1 ? new Microsoft.Extensions.Primitives.StringValues(values.ToString()) : new Microsoft.Extensions.Primitives.StringValues(values.ToArray());

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
