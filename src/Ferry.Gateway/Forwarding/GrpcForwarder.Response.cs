using System.Buffers;
using System.Runtime.CompilerServices;
using Ferry.Gateway.Upstream;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Ferry.Gateway.Forwarding;

/// <summary>
/// The response: headers, a body pump that flushes only when it is about to wait (so nothing is held back, yet a
/// unary response leaves in one write), then trailers, or the backend's trailers-only response as it came.
/// </summary>
internal sealed partial class GrpcForwarder
{
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ForwardResponseAsync(HttpContext context, Http2ClientStream upstream, EndpointState endpoint, ForwardingCall call)
    {
        var response = context.Response;
        response.StatusCode = upstream.StatusCode;
        var headers = response.Headers;
        var upstreamHeaders = upstream.Headers;
        for (var i = 0; i < upstreamHeaders.Count; i++)
        {
            var (name, value) = upstreamHeaders[i];
            if (!HopByHopHeaders.IsHopByHop(name))
            {
                headers.Append(name, value);
            }
        }

        var tracker = default(GrpcFrameTracker);
        try
        {
            var writer = response.BodyWriter;
            while (true)
            {
                // Before each wait on the backend, send what we hold, headers included (never held back until the
                // first message); a read that completes at once sends nothing yet, so a unary response leaves in
                // one write.
                if (!upstream.TryReadBody(out var result))
                {
                    await writer.FlushAsync(call.Token).ConfigureAwait(false);
                    result = await upstream.ReadBodyAsync().ConfigureAwait(false);
                }

                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    tracker.Advance(segment.Span);
                    writer.Write(segment.Span);
                }

                if (!buffer.IsEmpty)
                {
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
            await FailAsync(context, call, endpoint, ex, response.HasStarted || call.Outcome.ResponseBytes > 0, tracker.AtBoundary).ConfigureAwait(false);
            return;
        }

        var status = upstream.EndedWithHeaders
            ? GrpcStatusOf(response.Headers)
            : CopyTrailers(upstream.Trailers, context, bodyWasEmpty: call.Outcome.ResponseBytes == 0);
        call.Outcome.GrpcStatus = status;
        RecordEndpointResult(endpoint, status);
        await response.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Copies the backend's trailers. A response with no body whose headers have not gone out yet is sent as
    /// trailers-only (status in the headers): an empty body followed by trailers is what some proxies mangle.
    /// Returns the grpc-status the client will see, or -1 if there is none.
    /// </summary>
    private static int CopyTrailers(IReadOnlyList<KeyValuePair<string, string>> trailers, HttpContext context, bool bodyWasEmpty)
    {
        var response = context.Response;
        var trailersOnly = bodyWasEmpty && !response.HasStarted;
        var target = trailersOnly ? response.Headers : context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        if (target is null)
        {
            return -1;
        }

        for (var i = 0; i < trailers.Count; i++)
        {
            target.Append(trailers[i].Key, trailers[i].Value);
        }

        return GrpcStatusOf(target);
    }

    private static int GrpcStatusOf(IHeaderDictionary headers)
    {
        var status = headers[GrpcProtocol.StatusHeader];
        return status.Count == 1 && int.TryParse(status.ToString(), out var code) ? code : -1;
    }

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
