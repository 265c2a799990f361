using System.Runtime.CompilerServices;
using Ferry.Gateway.Routing;
using Ferry.Gateway.Upstream;
using Ferry.Grpc;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;
using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Forwarding;

/// <summary>
/// Forwards one gRPC call to a backend without decoding it. The engine of the gateway, split by concern:
/// <code>
///   deadline ─► pick endpoint ─► open a stream on its pool, send headers ─► request body (RequestPump)
///       ▲            │ no connection, or the backend refused the stream before any body byte was taken: retry another
///       └────────────┘
///   response headers ─► response body pump (GrpcForwarder.Response.cs) ─► trailers (or trailers-only)
///   any failure ─► a gRPC status if nothing was sent yet or a message boundary was reached, else a stream reset
/// </code>
/// Cancellation flows both ways: the client leaving resets the backend stream; the backend failing ends the call.
/// </summary>
internal sealed partial class GrpcForwarder(ILogger<GrpcForwarder> logger, TimeProvider time)
{
    // Sends of one call after GOAWAYs, beyond the budgeted retries: enough for any backend's connection cycling, and a
    // stop for one that closes every connection before taking a stream.
    private const int MaxResends = 8;

    // Few async layers per call, and not async where it need not be: each layer that awaits for real allocates its
    // state machine (the pooled builders reuse them only when few calls are in flight). Each is awaited once.
    /// <param name="started">When the call arrived (a timestamp of the gateway's clock; one reading serves the whole call).</param>
    public ValueTask<ForwardingOutcome> ForwardAsync(Http2ServerStream downstream, ClientConnection client, CompiledRoute route, long started)
    {
        if (TryGetDeadline(downstream, route.Config.Timeouts, out var deadline, out var deadlineError))
        {
            return ForwardToClusterAsync(new Downstream(downstream, client), route, deadline, started);
        }

        var rejected = new ForwardingOutcome();
        RespondWithStatus(downstream, deadlineError, rejected);
        return ValueTask.FromResult(rejected);
    }

    /// <summary>The client's side of the call: its stream and its connection.</summary>
    private readonly record struct Downstream(Http2ServerStream Stream, ClientConnection Connection)
    {
        public string Path => Stream.Path;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ForwardingOutcome> ForwardToClusterAsync(Downstream downstream, CompiledRoute route, TimeSpan? deadline, long started)
    {
        var cluster = route.Cluster;
        using var call = new ForwardingCall(route.Config.Timeouts, deadline, time, started);
        downstream.Stream.OnAborted(static state => ((ForwardingCall)state!).Cancel(CancelReason.ClientGone), call);
        cluster.OnCallStarted();
        try
        {
            var endpoint = cluster.PickEndpoint();
            if (endpoint is null)
            {
                RespondWithStatus(downstream.Stream, new Status(StatusCode.Unavailable, cluster.DescribeUnavailable()), call.Outcome);
                return call.Outcome;
            }

            var maxAttempts = Math.Max(1, cluster.Config.Retry.MaxAttempts);
            var retries = 0;
            var resends = 0;
            for (var attempt = 1; ; attempt++)
            {
                call.Outcome.Endpoint = endpoint.Address;
                call.Outcome.Attempts = attempt;
                var (result, error) = await ForwardToEndpointAsync(downstream, route, endpoint, call).ConfigureAwait(false);
                if (result == AttemptResult.Done)
                {
                    return call.Outcome;
                }

                // A stream the backend turned away unprocessed may go back to the same endpoint (a new connection); a
                // failed connect goes elsewhere.
                var next = result != AttemptResult.RetryableFailure
                    ? cluster.PickEndpoint(exclude: endpoint) ?? (endpoint.IsAvailable ? endpoint : null)
                    : cluster.PickEndpoint(exclude: endpoint);

                // A connection's ordinary end is no failure: a backend behind nginx closes one every keepalive_requests
                // calls, turning away the streams in flight. Those go again without counting as retries, or a busy
                // gateway would spend its budget on them and fail calls no backend refused.
                if (result == AttemptResult.ConnectionClosing && next is not null && resends < MaxResends)
                {
                    call.Outcome.Resends = ++resends;
                    ForwarderLog.Resending(logger, downstream.Path, endpoint.Address, next.Address, error!);
                    endpoint = next;
                    continue;
                }

                if (retries + 1 >= maxAttempts || next is null || !cluster.TryAcquireRetry())
                {
                    var why = next is null && retries + 1 < maxAttempts ? "no other endpoint is available" : $"gave up after {attempt} attempt(s)";
                    var what = result != AttemptResult.RetryableFailure ? $"{endpoint.Address} in cluster '{cluster.Name}' did not take the call ({error})" : $"Could not reach {endpoint.Address} in cluster '{cluster.Name}' ({error})";
                    RespondWithStatus(downstream.Stream, new Status(StatusCode.Unavailable, $"{what}; {why}."), call.Outcome);
                    return call.Outcome;
                }

                retries++;
                ForwarderLog.Retrying(logger, downstream.Path, endpoint.Address, next.Address, attempt);
                endpoint = next;
            }
        }
        finally
        {
            call.Complete();
            cluster.OnCallEnded();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(AttemptResult Result, string? ConnectError)> ForwardToEndpointAsync(Downstream downstream, CompiledRoute route, EndpointState endpoint, ForwardingCall call)
    {
        // A first attempt starts as the call arrived; each clock reading is a system call's worth on some VMs.
        var started = call.Outcome.Attempts == 1 ? call.Started : time.GetTimestamp();
        endpoint.OnCallStarted();
        Http2ClientStream? stream = null;
        RequestPump? request = null;
        var requestPump = Task.CompletedTask;
        var replaying = false;
        try
        {
            try
            {
                var upstreamRequest = new UpstreamRequest(downstream, route, endpoint, call);
                if (!endpoint.Pool.TryOpenStream(WriteRequestHeaders, upstreamRequest, out stream))
                {
                    stream = await endpoint.Pool.OpenStreamAsync(WriteRequestHeaders, upstreamRequest, call.Token).ConfigureAwait(false);
                }
            }
            catch (UpstreamConnectException ex) when (call.Reason == CancelReason.None)
            {
                if (ex.EndpointFailed)
                {
                    endpoint.RecordConnectFailure();
                }

                ForwarderLog.ConnectFailed(logger, endpoint.Address, ex.Message);
                return (AttemptResult.RetryableFailure, ex.Message);
            }
            catch (Exception ex)
            {
                Fail(downstream, call, endpoint, ex, responseStarted: false, atBoundary: true);
                return (AttemptResult.Done, null);
            }

            // Whatever ends the call (client gone, deadline, lifetime, idle, the response done) resets the backend
            // stream if it is still open.
            request = new RequestPump(downstream.Stream, stream, call);
            call.Attach(request);
            requestPump = request.RunAsync();
            try
            {
                await stream.ReadHeadersAsync().ConfigureAwait(false);
            }
            catch (Http2StreamException ex) when (ex.RequestNotProcessed && call.Reason == CancelReason.None)
            {
                request.Stop();
                await requestPump.ConfigureAwait(false);
                if (request.CanReplay)
                {
                    replaying = true;
                    if (ex.ConnectionClosing)
                    {
                        return (AttemptResult.ConnectionClosing, ex.Message);
                    }

                    ForwarderLog.NotTaken(logger, downstream.Path, endpoint.Address, ex.Message);
                    return (AttemptResult.Unprocessed, ex.Message);
                }

                Fail(downstream, call, endpoint, ex, responseStarted: false, atBoundary: true);
                return (AttemptResult.Done, null);
            }
            catch (Exception ex)
            {
                Fail(downstream, call, endpoint, ex, responseStarted: false, atBoundary: true);
                return (AttemptResult.Done, null);
            }

            request.OnTaken();
            var now = time.GetTimestamp();
            endpoint.RecordLatency(time.GetElapsedTime(started, now), now);
            await ForwardResponseAsync(downstream, stream, endpoint, call).ConfigureAwait(false);
            return (AttemptResult.Done, null);
        }
        finally
        {
            if (!requestPump.IsCompleted)
            {
                // The response ended first (a backend may answer before the request ends): stop reading the client.
                request!.Stop();
                await requestPump.ConfigureAwait(false);
            }

            if (request is not null)
            {
                call.Detach(request);
                if (!replaying)
                {
                    request.Commit();
                }
            }

            stream?.Dispose();
            endpoint.OnCallEnded();
        }
    }

    private enum AttemptResult
    {
        Done,

        /// <summary>No connection could be made: try another endpoint.</summary>
        RetryableFailure,

        /// <summary>The backend refused the stream unprocessed (REFUSED_STREAM): try again, this endpoint too.</summary>
        Unprocessed,

        /// <summary>The backend closed the connection (GOAWAY) before taking the stream: send it again, this endpoint too.</summary>
        ConnectionClosing,
    }
}
