using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Ferry.Grpc.AspNetCore.Server;

/// <summary>Lets the UNIMPLEMENTED catch-all match gRPC requests only, so other POSTs still get the app's 404.</summary>
internal sealed class GrpcContentTypeConstraint : IRouteConstraint
{
    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection) =>
        httpContext is not null && Protocol.GrpcProtocol.IsGrpcContentType(httpContext.Request.ContentType);
}
