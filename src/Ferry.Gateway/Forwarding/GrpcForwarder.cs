using System.Net;
using Ferry.Gateway.Routing;
using Ferry.Gateway.Upstream;
using Ferry.Grpc;
using Ferry.Grpc.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Forwarding;

/// <summary>
/// Forwards one gRPC call to a backend without decoding it. The engine of the gateway, split by concern:
/// <code>
///   deadline ─► pick endpoint ─► send headers + stream request body (StreamingRequestContent)
///       ▲            │ connect failed before any byte was sent: back off that endpoint, retry another
///       └────────────┘
///   response headers ─► response body pump (GrpcForwarder.Response.cs) ─► trailers (or trailers-only)
///   any failure ─► a gRPC status if nothing was sent yet or a message boundary was reached, else a stream reset
/// </code>
/// Cancellation flows both ways: the client leaving resets the backend stream; the backend failing ends the call.
/// </summary>
internal sealed partial class GrpcForwarder(ILogger<GrpcForwarder> logger, TimeProvider time)
{
    public async Task<ForwardingOutcome> ForwardAsync(HttpContext context, CompiledRoute route)
    {
        var cluster = route.Cluster;
        if (!TryGetDeadline(context.Request, route.Config.Timeouts, out var deadline, out var deadlineError))
        {
            var rejected = new ForwardingOutcome();
            await RespondWithStatusAsync(context, deadlineError, rejected).ConfigureAwait(false);
            return rejected;
        }

        using var call = new ForwardingCall(context.RequestAborted, route.Config.Timeouts, deadline, time);
        cluster.OnCallStarted();
        try
        {
            await ForwardToClusterAsync(context, route, cluster, call).ConfigureAwait(false);
        }
        finally
        {
            call.Complete();
            cluster.OnCallEnded();
        }

        return call.Outcome;
    }

    private async Task ForwardToClusterAsync(HttpContext context, CompiledRoute route, ClusterState cluster, ForwardingCall call)
    {
        var endpoint = cluster.PickEndpoint();
        if (endpoint is null)
        {
            await RespondWithStatusAsync(context, new Status(StatusCode.Unavailable, cluster.DescribeUnavailable()), call.Outcome).ConfigureAwait(false);
            return;
        }

        var maxAttempts = Math.Max(1, cluster.Config.Retry.MaxAttempts);
        for (var attempt = 1; ; attempt++)
        {
            call.Outcome.Endpoint = endpoint.Address;
            call.Outcome.Attempts = attempt;
            var (result, connectError) = await ForwardToEndpointAsync(context, route, endpoint, call).ConfigureAwait(false);
            if (result != AttemptResult.RetryableFailure)
            {
                return;
            }

            var next = attempt < maxAttempts ? cluster.PickEndpoint(exclude: endpoint) : null;
            if (next is null || !cluster.TryAcquireRetry())
            {
                var why = next is null && attempt < maxAttempts ? "no other endpoint is available" : $"gave up after {attempt} attempt(s)";
                await RespondWithStatusAsync(context, new Status(StatusCode.Unavailable, $"Could not connect to {endpoint.Address} in cluster '{cluster.Name}' ({connectError}); {why}."), call.Outcome).ConfigureAwait(false);
                return;
            }

            ForwarderLog.Retrying(logger, context.Request.Path.Value!, endpoint.Address, next.Address, attempt);
            endpoint = next;
        }
    }

    private async Task<(AttemptResult Result, string? ConnectError)> ForwardToEndpointAsync(HttpContext context, CompiledRoute route, EndpointState endpoint, ForwardingCall call)
    {
        var content = new StreamingRequestContent(context.Request.BodyReader, call, context.Request.ContentType);
        using var request = CreateUpstreamRequest(context, route, endpoint, content, call.Remaining);
        var started = time.GetTimestamp();
        endpoint.OnCallStarted();
        HttpResponseMessage? response = null;
        try
        {
            try
            {
                response = await route.Cluster.Invoker.SendAsync(request, call.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (call.Reason == CancelReason.None && !content.Started && IsConnectFailure(ex))
            {
                endpoint.RecordConnectFailure();
                ForwarderLog.ConnectFailed(logger, endpoint.Address, ex.Message);
                return (AttemptResult.RetryableFailure, ex.Message);
            }
            catch (Exception ex)
            {
                await FailAsync(context, call, endpoint, ex, responseStarted: false, atBoundary: true).ConfigureAwait(false);
                return (AttemptResult.Done, null);
            }

            endpoint.RecordLatency(time.GetElapsedTime(started));
            await ForwardResponseAsync(context, response, endpoint, call).ConfigureAwait(false);
            return (AttemptResult.Done, null);
        }
        finally
        {
            await content.CloseAsync(call).ConfigureAwait(false);

            response?.Dispose();
            endpoint.OnCallEnded();
        }
    }

    private static bool IsConnectFailure(Exception exception) =>
        exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError } ||
        (exception is HttpRequestException { InnerException: HttpProtocolException { ErrorCode: (long)Http2ErrorCode.RefusedStream } });

    private enum AttemptResult
    {
        Done,
        RetryableFailure,
    }
}
