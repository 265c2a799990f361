using System.Net;
using System.Net.Sockets;
using Ferry.Gateway.Config;
using Ferry.Gateway.Routing;
using Ferry.Gateway.Upstream;
using Ferry.Grpc;
using Ferry.Grpc.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Ferry.Gateway.Forwarding;

/// <summary>The upstream request: deadline, headers and the streaming body.</summary>
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

    private static HttpRequestMessage CreateUpstreamRequest(HttpContext context, CompiledRoute route, EndpointState endpoint, StreamingRequestContent content, TimeSpan? deadline)
    {
        var incoming = context.Request;
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint.Uri, incoming.Path.ToUriComponent() + incoming.QueryString.ToUriComponent()))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        var headers = request.Headers;
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

            if (values.Count == 1)
            {
                headers.TryAddWithoutValidation(name, values.ToString());
            }
            else
            {
                headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        // te is hop-by-hop except for "trailers", which gRPC servers require end to end.
        headers.TryAddWithoutValidation("te", "trailers");
        if (deadline is { } timeout)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(timeout));
        }

        if (route.Config.Authority == AuthorityMode.Pass && incoming.Host.HasValue)
        {
            headers.Host = incoming.Host.Value;
        }

        AddForwardedHeaders(context, route.Config, headers);
        return request;
    }

    private static void AddForwardedHeaders(HttpContext context, RouteConfig route, System.Net.Http.Headers.HttpRequestHeaders headers)
    {
        if (context.Connection.RemoteIpAddress is not { } client)
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
            headers.TryAddWithoutValidation("x-forwarded-for", StringValues.IsNullOrEmpty(existing) ? client.ToString() : $"{existing}, {client}");
        }

        if (route.Forwarded)
        {
            var node = client.AddressFamily == AddressFamily.InterNetworkV6 ? $"\"[{client}]\"" : client.ToString();
            var proto = context.Request.IsHttps ? "https" : "http";
            headers.TryAddWithoutValidation("forwarded", $"for={node};proto={proto};host=\"{context.Request.Host.Value}\"");
        }
    }
}
