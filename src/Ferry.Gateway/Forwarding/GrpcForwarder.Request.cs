using System.Net.Sockets;
using Ferry.Gateway.Config;
using Ferry.Gateway.Routing;
using Ferry.Gateway.Upstream;
using Ferry.Grpc;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Ferry.Gateway.Forwarding;

/// <summary>The upstream request: deadline and headers.</summary>
internal sealed partial class GrpcForwarder
{
    /// <summary>
    /// The call's timeout: the client's grpc-timeout, or the route's default when it sent none, capped by the
    /// route's maximum.
    /// </summary>
    private static bool TryGetDeadline(HttpRequest request, RouteTimeoutsConfig timeouts, out TimeSpan? deadline, out Status error)
    {
        deadline = timeouts.DefaultDeadline;
        error = default;
        var header = request.Headers[GrpcProtocol.TimeoutHeader];
        if (!StringValues.IsNullOrEmpty(header))
        {
            if (!GrpcTimeout.TryParse(header.ToString(), out var requested))
            {
                error = new Status(StatusCode.Internal, $"Invalid grpc-timeout value '{header}': expected up to 8 digits and a unit (H, M, S, m, u, n).");
                return false;
            }

            deadline = requested;
        }

        if (timeouts.MaxDeadline is { } max && (deadline is null || deadline > max))
        {
            deadline = max;
        }

        return true;
    }

    /// <summary>What the request headers are written from, passed by value so opening a stream allocates nothing.</summary>
    private readonly record struct UpstreamRequest(HttpContext Context, CompiledRoute Route, EndpointState Endpoint, ForwardingCall Call);

    /// <summary>
    /// The upstream request headers: pseudo-headers first, then the client's metadata minus hop-by-hop fields and
    /// what the gateway sets itself (te, grpc-timeout reduced by the time spent, x-forwarded-for / forwarded).
    /// </summary>
    private static void WriteRequestHeaders(Http2HeaderWriter headers, UpstreamRequest upstream)
    {
        var (context, route, endpoint, call) = upstream;
        var incoming = context.Request;
        headers.Add(":method", "POST");
        headers.Add(":scheme", endpoint.Uri.Scheme);
        headers.Add(":authority", route.Config.Authority == AuthorityMode.Pass && incoming.Host.HasValue ? incoming.Host.Value : endpoint.Address);
        headers.Add(":path", context.Features.Get<IHttpRequestFeature>()?.RawTarget is { Length: > 0 } target ? target : incoming.Path.ToUriComponent() + incoming.QueryString.ToUriComponent());
        headers.Add("content-type", incoming.ContentType ?? "application/grpc");
        headers.Add("te", "trailers");
        // Measured now, as the headers are encoded: time spent dialing a connection counts against the deadline.
        if (call.Remaining is { } timeout)
        {
            headers.Add(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(timeout));
        }

        foreach (var (name, values) in incoming.Headers)
        {
            if (name.StartsWith(':') || HopByHopHeaders.IsHopByHop(name) ||
                name.Equals("host", StringComparison.OrdinalIgnoreCase) ||
                name.Equals("content-type", StringComparison.OrdinalIgnoreCase) ||
                name.Equals(GrpcProtocol.TimeoutHeader, StringComparison.OrdinalIgnoreCase) ||
                name.Equals("te", StringComparison.OrdinalIgnoreCase) ||
                (route.Config.XForwardedFor && name.Equals("x-forwarded-for", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            foreach (var value in values)
            {
                headers.Add(name, value ?? "");
            }
        }

        AddForwardedHeaders(context, route.Config, headers);
    }

    private static void AddForwardedHeaders(HttpContext context, RouteConfig route, Http2HeaderWriter headers)
    {
        if ((!route.XForwardedFor && !route.Forwarded) || context.Connection.RemoteIpAddress is not { } client)
        {
            return;
        }

        if (client.IsIPv4MappedToIPv6)
        {
            client = client.MapToIPv4();
        }

        if (route.XForwardedFor)
        {
            var existing = context.Request.Headers["x-forwarded-for"];
            headers.Add("x-forwarded-for", StringValues.IsNullOrEmpty(existing) ? client.ToString() : $"{existing}, {client}");
        }

        if (route.Forwarded)
        {
            var node = client.AddressFamily == AddressFamily.InterNetworkV6 ? $"\"[{client}]\"" : client.ToString();
            var proto = context.Request.IsHttps ? "https" : "http";
            headers.Add("forwarded", $"for={node};proto={proto};host=\"{context.Request.Host.Value}\"");
        }
    }
}
