using System.Buffers;
using System.Collections.Concurrent;
using Ferry.Gateway.Diagnostics;
using Ferry.Gateway.Forwarding;
using Ferry.Gateway.Health;
using Ferry.Gateway.Limits;
using Ferry.Gateway.Metrics;
using Ferry.Gateway.Routing;
using Ferry.Gateway.Runtime;
using Ferry.Grpc;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;
using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Hosting;

/// <summary>
/// Every HTTP/2 request on a gateway listener comes here: the gateway's own health service and /metrics, else find
/// the route, apply the limits, forward, then record the call. Only gRPC is forwarded; anything else is refused, so
/// the gateway is never an open HTTP proxy. Each path completes the stream once it is done with it.
/// </summary>
internal sealed class GatewayRequestHandler(
    GatewayRuntime runtime,
    GrpcForwarder forwarder,
    GatewayMetrics metrics,
    GatewayHealthResponder health,
    PrometheusExporter exporter,
    ILoggerFactory loggerFactory,
    TimeProvider time)
{
    private static readonly ReadOnlySequence<byte> NotGrpcText = new("This Ferry gateway forwards gRPC (HTTP/2, application/grpc) only.\n"u8.ToArray());
    private readonly ILogger _accessLog = loggerFactory.CreateLogger(AccessLog.Category);
    private readonly ConcurrentDictionary<string, StrongBox> _listenerStreams = new(StringComparer.Ordinal);

    /// <summary>Runs on the connection's read loop: the checks run inline and only a forwarded call awaits.</summary>
    public void Handle(Http2ServerStream stream, ClientConnection client)
    {
        var started = time.GetTimestamp();
        var state = runtime.Current;
        var path = PathOf(stream.Path);
        if (!state.Listeners.TryGetValue(client.ListenerName, out var table))
        {
            Refuse(stream, new Status(StatusCode.Unavailable, $"Listener '{client.ListenerName}' is no longer configured."));
            return;
        }

        if (path.StartsWith(GatewayHealthResponder.PathPrefix, StringComparison.Ordinal) && !table.HasSpecificRouteFor(path))
        {
            _ = health.RespondAsync(stream);
            return;
        }

        if (MetricsEndpoint.Serves(state.Config, onAdminListener: false, stream.Method, path))
        {
            _ = ServeMetricsAsync(stream);
            return;
        }

        if (!IsGrpc(stream))
        {
            stream.WriteHeaders(415, 0, static (headers, _) => headers.Add("content-type", "text/plain; charset=utf-8"), endStream: false);
            stream.TryWriteData(NotGrpcText, endStream: true);
            stream.Complete();
            return;
        }

        if (table.Match(path, stream.Authority, stream.RequestHeaders) is not { } route)
        {
            Refuse(stream, new Status(StatusCode.Unimplemented, $"No route for {path} on listener '{client.ListenerName}'."));
            return;
        }

        var listenerLimit = ListenerStreamLimit(state, client.ListenerName);
        var listenerStreams = _listenerStreams.GetOrAdd(client.ListenerName, static _ => new StrongBox());
        if (Interlocked.Increment(ref listenerStreams.Value) > (listenerLimit ?? int.MaxValue))
        {
            Interlocked.Decrement(ref listenerStreams.Value);
            metrics.Rejected(route.Name, "listener_streams");
            Refuse(stream, new Status(StatusCode.ResourceExhausted, $"Listener '{client.ListenerName}' is at its concurrent stream limit ({listenerLimit})."));
            return;
        }

        _ = ForwardAsync(stream, client, route, path, started, listenerStreams);
    }

    private async Task ForwardAsync(Http2ServerStream stream, ClientConnection client, CompiledRoute route, string path, long started, StrongBox listenerStreams)
    {
        try
        {
            LimitRefusal? refusal = null;
            using var lease = route.Limiter?.TryAcquire(out refusal);
            if (refusal is not null)
            {
                metrics.Rejected(route.Name, refusal.Limit);
                StatusReply.WriteTrailersOnly(stream, new Status(StatusCode.ResourceExhausted, refusal.Message));
                return;
            }

            var traffic = route.Traffic ??= metrics.TrafficOf(route.Name);
            traffic.CallStarted();
            ForwardingOutcome? outcome = null;
            try
            {
                outcome = await forwarder.ForwardAsync(stream, client, route, started).ConfigureAwait(false);
            }
            finally
            {
                outcome ??= new ForwardingOutcome();
                var duration = time.GetElapsedTime(started);
                traffic.CallEnded(outcome.RequestBytes, outcome.ResponseBytes);
                metrics.CallEnded(route.Name, route.Cluster.Name, outcome.Endpoint, outcome.GrpcStatus, duration);
                if (outcome.Attempts > 1)
                {
                    metrics.Resent(route.Cluster.Name, outcome.Attempts - 1 - outcome.Resends, outcome.Resends);
                }
                if (runtime.Current.Config.AccessLog.Enabled && _accessLog.IsEnabled(LogLevel.Information))
                {
                    AccessLog.Call(_accessLog, path, route.Name, route.Cluster.Name, outcome.Endpoint, outcome.GrpcStatus, duration.TotalMilliseconds, outcome.RequestBytes, outcome.ResponseBytes, outcome.RequestMessages, outcome.ResponseMessages, outcome.Attempts, client.RemoteAddressText);
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref listenerStreams.Value);
            stream.Complete();
        }
    }

    private async Task ServeMetricsAsync(Http2ServerStream stream)
    {
        try
        {
            using var text = new MemoryStream();
            await exporter.WriteAsync(text).ConfigureAwait(false);
            stream.WriteHeaders(200, 0, static (headers, _) => headers.Add("content-type", PrometheusExporter.ContentType), endStream: false);
            await stream.WriteDataAsync(new ReadOnlySequence<byte>(text.GetBuffer(), 0, (int)text.Length), endStream: true).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // The client left; Complete resets what is left of the stream.
        }
        finally
        {
            stream.Complete();
        }
    }

    /// <summary>The path without a query (gRPC sends none; routes match on the path alone).</summary>
    private static string PathOf(string target)
    {
        var query = target.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? target : target[..query];
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

    private static bool IsGrpc(Http2ServerStream stream) =>
        stream.Method == "POST" && GrpcProtocol.IsGrpcContentType(RequestHeaders.First(stream.RequestHeaders, "content-type"));

    private static void Refuse(Http2ServerStream stream, Status status)
    {
        StatusReply.WriteTrailersOnly(stream, status);
        stream.Complete();
    }

    private sealed class StrongBox
    {
        public int Value;
    }
}
