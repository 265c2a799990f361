using System.Net.Sockets;
using Ferry.Gateway.Upstream;
using Ferry.Grpc;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;

namespace Ferry.Gateway.Forwarding;

/// <summary>Ending a call the gateway could not complete, with the most truthful signal still possible.</summary>
internal sealed partial class GrpcForwarder
{
    /// <summary>
    /// Before anything was sent: a trailers-only status. After: the status in trailers, even in the middle of a message
    /// (grpc-js, grpcio and Ferry's client report the status and drop the part; a reset would read as INTERNAL or
    /// CANCELLED). The exception is the client's deadline passing mid-message: a CANCEL reset, which grpc-go and gRPC
    /// core turn into DEADLINE_EXCEEDED themselves, where grpc-go would call half a message and trailers INTERNAL.
    /// A client that left gets nothing (there is no one to tell), but the backend stream is reset by cancellation.
    /// </summary>
    private void Fail(Downstream downstream, ForwardingCall call, EndpointState endpoint, Exception exception, bool responseStarted, bool atBoundary)
    {
        var reason = call.Reason;
        if (reason == CancelReason.ClientGone || downstream.Stream.IsClosed)
        {
            ForwarderLog.ClientCancelled(logger, downstream.Path, endpoint.Address);
            call.Outcome.GrpcStatus = (int)StatusCode.Cancelled;
            return;
        }

        var status = StatusFor(reason, exception, endpoint, call);
        if (reason == CancelReason.None)
        {
            // Metadata one side cannot take from the other, or a connection the backend closed in order (GOAWAY) with
            // the stream untaken: neither says the backend is failing.
            if (exception is not (HeaderListTooLargeException or Http2StreamException { ConnectionClosing: true }))
            {
                endpoint.RecordFailure();
            }

            ForwarderLog.BackendFailed(logger, downstream.Path, endpoint.Address, status.StatusCode, exception);
        }

        if (!responseStarted)
        {
            RespondWithStatus(downstream.Stream, status, call.Outcome);
            return;
        }

        if (atBoundary || reason != CancelReason.Deadline)
        {
            call.Outcome.GrpcStatus = (int)status.StatusCode;
            StatusReply.WriteTrailers(downstream.Stream, status);
            return;
        }

        call.Outcome.GrpcStatus = -1;
        downstream.Stream.Reset(Http2ErrorCode.Cancel);
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
                case HeaderListTooLargeException tooLarge:
                    // Metadata one side cannot take from the other: neither side is down.
                    return new Status(StatusCode.Internal, $"Gateway, forwarding to {endpoint.Address}: {tooLarge.Message}");
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

    private static void RespondWithStatus(Http2ServerStream downstream, Status status, ForwardingOutcome outcome)
    {
        outcome.GrpcStatus = (int)status.StatusCode;
        StatusReply.WriteTrailersOnly(downstream, status);
    }
}
