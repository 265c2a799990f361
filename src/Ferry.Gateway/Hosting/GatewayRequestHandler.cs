using System.Collections.Concurrent;
using Ferry.Gateway.Diagnostics;
using Ferry.Gateway.Forwarding;
using Ferry.Gateway.Limits;
using Ferry.Gateway.Routing;
using Ferry.Gateway.Runtime;
using Ferry.Grpc;
using Ferry.Grpc.AspNetCore.Server;
using Ferry.Grpc.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Hosting;

/// <summary>
/// The gateway's terminal middleware: find the route, apply the limits, forward, then record the call.
/// Only gRPC is forwarded; anything else is refused, so the gateway is never an open HTTP proxy.
/// </summary>
internal sealed class GatewayRequestHandler(
    GatewayRuntime runtime,
    GrpcForwarder forwarder,
    GatewayMetrics metrics,
    ILoggerFactory loggerFactory,
    TimeProvider time)
{
    private readonly ILogger _accessLog = loggerFactory.CreateLogger(AccessLog.Category);
    private readonly ConcurrentDictionary<string, StrongBox> _listenerStreams = new(StringComparer.Ordinal);

    /// <summary>Not async itself: the checks run inline and only a forwarded call gets a state machine (one per call).</summary>
    public Task HandleAsync(HttpContext context)
    {
        var started = time.GetTimestamp();
        var state = runtime.Current;
        var listenerName = ListenerConnectionMiddleware.GetListener(context) ?? "";
        var path = context.Request.Path.Value ?? "/";
        if (!state.Listeners.TryGetValue(listenerName, out var table))
        {
            return RefuseAsync(context, new Status(StatusCode.Unavailable, $"Listener '{listenerName}' is no longer configured."));
        }

        if (!IsGrpc(context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return context.Response.WriteAsync("This Ferry gateway forwards gRPC (HTTP/2, application/grpc) only.\n");
        }

        if (table.Match(path, context.Request) is not { } route)
        {
            return RefuseAsync(context, new Status(StatusCode.Unimplemented, $"No route for {path} on listener '{listenerName}'."));
        }

        var listenerLimit = ListenerStreamLimit(state, listenerName);
        var listenerStreams = _listenerStreams.GetOrAdd(listenerName, static _ => new StrongBox());
        if (Interlocked.Increment(ref listenerStreams.Value) > (listenerLimit ?? int.MaxValue))
        {
            Interlocked.Decrement(ref listenerStreams.Value);
            metrics.Rejected(route.Name, "listener_streams");
            return RefuseAsync(context, new Status(StatusCode.ResourceExhausted, $"Listener '{listenerName}' is at its concurrent stream limit ({listenerLimit})."));
        }

        return ForwardAsync(context, route, path, started, listenerStreams);
    }

    private async Task ForwardAsync(HttpContext context, CompiledRoute route, string path, long started, StrongBox listenerStreams)
    {
        try
        {
            LimitRefusal? refusal = null;
            using var lease = route.Limiter?.TryAcquire(out refusal);
            if (refusal is not null)
            {
                metrics.Rejected(route.Name, refusal.Limit);
                await RefuseAsync(context, new Status(StatusCode.ResourceExhausted, refusal.Message)).ConfigureAwait(false);
                return;
            }

            metrics.CallStarted(route.Name);
            ForwardingOutcome? outcome = null;
            try
            {
                outcome = await forwarder.ForwardAsync(context, route).ConfigureAwait(false);
            }
            finally
            {
                outcome ??= new ForwardingOutcome();
                var duration = time.GetElapsedTime(started);
                metrics.CallEnded(route.Name, route.Cluster.Name, outcome.Endpoint, outcome.GrpcStatus, duration, outcome.RequestBytes, outcome.ResponseBytes);
                if (runtime.Current.Config.AccessLog.Enabled && _accessLog.IsEnabled(LogLevel.Information))
                {
                    AccessLog.Call(_accessLog, path, route.Name, route.Cluster.Name, outcome.Endpoint, outcome.GrpcStatus, duration.TotalMilliseconds, outcome.RequestBytes, outcome.ResponseBytes, outcome.RequestMessages, outcome.ResponseMessages, outcome.Attempts, context.Connection.RemoteIpAddress?.ToString() ?? "-");
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref listenerStreams.Value);
        }
    }

    /// <summary>An indexed loop: this runs for every call, and LINQ or foreach over the list interface allocates.</summary>
    private static int? ListenerStreamLimit(GatewayState state, string listenerName)
    {
        var listeners = state.Config.Listeners;
        for (var i = 0; i < listeners.Count; i++)
        {
            if (listeners[i].Name == listenerName)
            {
                return listeners[i].Limits.MaxConcurrentStreams;
            }
        }

        return null;
    }

    private static bool IsGrpc(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) && HttpProtocol.IsHttp2(request.Protocol) && GrpcProtocol.IsGrpcContentType(request.ContentType);

    private static Task RefuseAsync(HttpContext context, Status status) =>
        GrpcResponse.WriteTrailersOnlyAsync(context.Response, status, trailers: null);

    private sealed class StrongBox
    {
        public int Value;
    }
}
