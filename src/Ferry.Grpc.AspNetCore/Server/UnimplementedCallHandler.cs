using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Ferry.Grpc.AspNetCore.Server;

internal sealed class UnimplementedCallHandler(GrpcServiceRegistry registry, ILogger<UnimplementedCallHandler> logger)
{
    public Task HandleAsync(HttpContext context)
    {
        var service = (string?)context.Request.RouteValues["unimplementedService"] ?? "";
        var method = (string?)context.Request.RouteValues["unimplementedMethod"] ?? "";
        GrpcServerLog.Unimplemented(logger, context.Request.Path);
        var detail = registry.HasService(service)
            ? $"Method is unimplemented: {service}/{method}."
            : $"Service is unimplemented: {service}.";
        return GrpcResponse.WriteTrailersOnlyAsync(context.Response, new Status(StatusCode.Unimplemented, detail), trailers: null);
    }
}
