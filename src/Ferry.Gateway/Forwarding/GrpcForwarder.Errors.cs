using System.Net.Sockets;
using Ferry.Gateway.Upstream;
using Ferry.Grpc;
using Ferry.Grpc.Http2;
using Ferry.Grpc.AspNetCore.Server;
using Ferry.Grpc.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Ferry.Gateway.Forwarding;

/// <summary>Ending a call the gateway could not complete, with the most truthful signal still possible.</summary>
internal sealed partial class GrpcForwarder
{
    /// <summary>
    /// Before anything was sent: a trailers-only status. After, at a message boundary: the status in trailers.
    /// Mid-message: reset the stream, because trailers after half a message would read as a corrupt message.
    /// A client that left gets nothing (there is no one to tell), but the backend stream is reset by cancellation.
    /// </summary>
    private async Task FailAsync(HttpContext context, ForwardingCall call, EndpointState endpoint, Exception exception, bool responseStarted, bool atBoundary)
    {
        var reason = call.Reason;
        if (reason == CancelReason.ClientGone || context.RequestAborted.IsCancellationRequested)
        {
            ForwarderLog.ClientCancelled(logger, context.Request.Path.Value!, endpoint.Address);
            call.Outcome.GrpcStatus = (int)StatusCode.Cancelled;
            return;
        }

        var status = StatusFor(reason, exception, endpoint, call);
        if (reason == CancelReason.None)
        {
            endpoint.RecordFailure();
            ForwarderLog.BackendFailed(logger, context.Request.Path.Value!, endpoint.Address, status.StatusCode, exception);
        }

        if (!responseStarted)
        {
            context.Response.Headers.Clear();
            await RespondWithStatusAsync(context, status, call.Outcome).ConfigureAwait(false);
            return;
        }

        if (atBoundary && context.Response.SupportsTrailers())
        {
            call.Outcome.GrpcStatus = (int)status.StatusCode;
            GrpcResponse.AppendTrailers(context.Response, status, Metadata.Empty);
            await context.Response.CompleteAsync().ConfigureAwait(false);
            return;
        }

        call.Outcome.GrpcStatus = -1;
        var errorCode = reason == CancelReason.None ? Http2ErrorCode.InternalError : Http2ErrorCode.Cancel;
        if (context.Features.Get<IHttpResetFeature>() is { } reset)
        {
            reset.Reset((int)errorCode);
        }
        else
        {
            context.Abort();
        }
    }

    private static Status StatusFor(CancelReason reason, Exception exception, EndpointState endpoint, ForwardingCall call) => reason switch
    {
        CancelReason.Deadline => new Status(StatusCode.DeadlineExceeded, $"Deadline Exceeded (gateway, after {call.Deadline?.TotalMilliseconds:0} ms)"),
        CancelReason.MaxLifetime => new Status(StatusCode.DeadlineExceeded, "The stream reached the route's max_stream_lifetime and was ended by the gateway."),
        CancelReason.Idle => new Status(StatusCode.DeadlineExceeded, "The stream was idle longer than the route's idle timeout and was ended by the gateway."),
        _ => StatusForBackendFailure(exception, endpoint),
    };

    private static Status StatusForBackendFailure(Exception exception, EndpointState endpoint)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case Http2StreamException { ResetByPeer: true } reset:
                    return new Status(reset.ErrorCode == Http2ErrorCode.Cancel ? StatusCode.Cancelled : StatusCode.Unavailable, $"Backend {endpoint.Address} reset the stream (HTTP/2 {reset.ErrorCode}).");
                case Http2StreamException stream:
                    return new Status(StatusCode.Unavailable, $"Backend {endpoint.Address}: {stream.Message}");
                case UpstreamConnectException connect:
                    return new Status(StatusCode.Unavailable, $"Could not connect to backend: {connect.Message}.");
                case SocketException socket:
                    return new Status(StatusCode.Unavailable, $"Backend {endpoint.Address}: {socket.SocketErrorCode}.");
                case System.Security.Authentication.AuthenticationException:
                    return new Status(StatusCode.Unavailable, $"TLS to backend {endpoint.Address} failed: {current.Message}");
            }
        }

        return exception is IOException
            ? new Status(StatusCode.Unavailable, $"Connection to backend {endpoint.Address} failed or was lost: {exception.Message}")
            : new Status(StatusCode.Internal, $"Gateway error forwarding to {endpoint.Address}: {exception.GetType().Name}");
    }

    private static Task RespondWithStatusAsync(HttpContext context, Status status, ForwardingOutcome outcome)
    {
        outcome.GrpcStatus = (int)status.StatusCode;
        return GrpcResponse.WriteTrailersOnlyAsync(context.Response, status, trailers: null);
    }
}
