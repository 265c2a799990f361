using System.Diagnostics.CodeAnalysis;
using Ferry.Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.Grpc.AspNetCore;

public static class GrpcEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps every method of a service implemented by <typeparamref name="TService"/> (a class deriving from a
    /// generated <c>*Base</c>). An instance is taken from DI when registered there, otherwise made per call.
    /// Requests for unknown gRPC services and methods get UNIMPLEMENTED.
    /// </summary>
    public static IEndpointConventionBuilder MapGrpcService<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TService>(this IEndpointRouteBuilder endpoints)
        where TService : class, IBindableService
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var registry = endpoints.ServiceProvider.GetService<GrpcServiceRegistry>()
            ?? throw new InvalidOperationException("Call services.AddFerryGrpc() before MapGrpcService<T>().");
        var binder = new EndpointServiceBinder<TService>(endpoints, ServiceActivator.For<TService>());
        TService.BindService(binder);
        registry.AddMethods(binder.MappedMethods);
        registry.EnsureUnimplementedEndpoint(endpoints);
        return binder.Conventions;
    }
}
