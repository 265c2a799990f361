using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.Grpc.AspNetCore.Server;

/// <summary>
/// The services and methods mapped so far, so a call to an unknown method can say whether the service exists; and
/// the one catch-all endpoint that answers unknown gRPC calls with UNIMPLEMENTED.
/// </summary>
internal sealed class GrpcServiceRegistry
{
    private readonly HashSet<string> _services = new(StringComparer.Ordinal);
    private readonly HashSet<string> _methods = new(StringComparer.Ordinal);
    private readonly HashSet<IEndpointRouteBuilder> _withFallback = [];
    private readonly Lock _lock = new();

    public void AddMethods(IEnumerable<(string Service, string FullName)> methods)
    {
        lock (_lock)
        {
            foreach (var (service, fullName) in methods)
            {
                _services.Add(service);
                _methods.Add(fullName);
            }
        }
    }

    public bool HasService(string service)
    {
        lock (_lock)
        {
            return _services.Contains(service);
        }
    }

    public void EnsureUnimplementedEndpoint(IEndpointRouteBuilder endpoints)
    {
        lock (_lock)
        {
            if (!_withFallback.Add(endpoints))
            {
                return;
            }
        }

        var handler = ActivatorUtilities.CreateInstance<UnimplementedCallHandler>(endpoints.ServiceProvider);
        var pattern = RoutePatternFactory.Parse(
            "{unimplementedService}/{unimplementedMethod}",
            defaults: null,
            parameterPolicies: new RouteValueDictionary { ["unimplementedMethod"] = new GrpcContentTypeConstraint() });
        endpoints.Map(pattern, handler.HandleAsync)
            .WithMetadata(new HttpMethodMetadata(["POST"]))
            .WithDisplayName("gRPC - unimplemented")
            .Add(builder => ((RouteEndpointBuilder)builder).Order = int.MaxValue);
    }
}
