using System.Net.Sockets;
using Ferry.Gateway.Config;
using Ferry.Gateway.Routing;
using Ferry.Gateway.Upstream;
using Ferry.Grpc;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;

namespace Ferry.Gateway.Forwarding;

/// <summary>The upstream request: deadline and headers.</summary>
internal sealed partial class GrpcForwarder
{
    /// <summary>
    /// The call's timeout: the client's grpc-timeout, or the route's default when it sent none, capped by the
    /// route's maximum.
    /// </summary>
    private static bool TryGetDeadline(Http2ServerStream request, RouteTimeoutsConfig timeouts, out TimeSpan? deadline, out Status error)
    {
        deadline = timeouts.DefaultDeadline;
        error = default;
        if (RequestHeaders.First(request.RequestHeaders, GrpcProtocol.TimeoutHeader) is { } header)
        {
            if (!GrpcTimeout.TryParse(header, out var requested))
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
    private readonly record struct UpstreamRequest(Downstream Downstream, CompiledRoute Route, EndpointState Endpoint, ForwardingCall Call);

    /// <summary>
    /// The upstream request headers: pseudo-headers first, then the client's metadata minus hop-by-hop fields and
    /// what the gateway sets itself (te, grpc-timeout reduced by the time spent, x-forwarded-for / forwarded).
    /// Values are the octets the client sent, passed on unchanged.
    /// </summary>
    private static void WriteRequestHeaders(Http2HeaderWriter headers, UpstreamRequest upstream)
    {
        var (downstream, route, endpoint, call) = upstream;
        var incoming = downstream.Stream;
        var requestHeaders = incoming.RequestHeaders;
        headers.Add(":method", "POST");
        headers.Add(":scheme", endpoint.Uri.Scheme);
        headers.AddOctets(":authority", route.Config.Authority == AuthorityMode.Pass && incoming.Authority.Length > 0 ? incoming.Authority : endpoint.Address);
        headers.AddOctets(":path", incoming.Path);
        headers.AddOctets("content-type", RequestHeaders.First(requestHeaders, "content-type") ?? GrpcProtocol.ContentType);
        headers.Add("te", "trailers");
        // Measured now, as the headers are encoded: time spent dialing a connection counts against the deadline.
        if (call.Remaining is { } timeout)
        {
            headers.Add(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(timeout));
        }

        var config = route.Config;
        for (var i = 0; i < requestHeaders.Count; i++)
        {
            var (name, value) = requestHeaders[i];
            if (HopByHopHeaders.IsHopByHop(name) ||
                name is "host" or "content-type" or GrpcProtocol.TimeoutHeader or "te" ||
                (config.XForwardedFor && name == "x-forwarded-for"))
            {
                continue;
            }

            headers.AddOctets(name, value);
        }

        AddForwardedHeaders(downstream, config, headers);
    }

    private static void AddForwardedHeaders(Downstream downstream, RouteConfig route, Http2HeaderWriter headers)
    {
        if ((!route.XForwardedFor && !route.Forwarded) || downstream.Connection.RemoteAddress is not { } client)
        {
            return;
        }

        var address = downstream.Connection.RemoteAddressText;
        if (route.XForwardedFor)
        {
            var existing = RequestHeaders.Joined(downstream.Stream.RequestHeaders, "x-forwarded-for");
            headers.AddOctets("x-forwarded-for", string.IsNullOrEmpty(existing) ? address : $"{existing}, {address}");
        }

        if (route.Forwarded)
        {
            var node = client.AddressFamily == AddressFamily.InterNetworkV6 ? $"\"[{address}]\"" : address;
            var proto = downstream.Connection.IsHttps ? "https" : "http";
            headers.AddOctets("forwarded", $"for={node};proto={proto};host=\"{downstream.Stream.Authority}\"");
        }
    }
}
