using System.Reflection;
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
    public static IEndpointConventionBuilder MapGrpcService<TService>(this IEndpointRouteBuilder endpoints)
        where TService : class
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var registry = endpoints.ServiceProvider.GetService<GrpcServiceRegistry>()
            ?? throw new InvalidOperationException("Call services.AddFerryGrpc() before MapGrpcService<T>().");
        var (bindMethod, baseType) = FindBindMethod(typeof(TService));
        var map = typeof(GrpcEndpointRouteBuilderExtensions).GetMethod(nameof(MapBound), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(typeof(TService), baseType);
        var builder = (IEndpointConventionBuilder)map.Invoke(null, [endpoints, bindMethod])!;
        registry.EnsureUnimplementedEndpoint(endpoints);
        return builder;
    }

    private static IEndpointConventionBuilder MapBound<TService, TBase>(IEndpointRouteBuilder endpoints, MethodInfo bindMethod)
        where TService : class, TBase
        where TBase : class
    {
        var binder = new EndpointServiceBinder<TBase>(endpoints, ServiceActivator.For<TService, TBase>());
        bindMethod.Invoke(null, [binder]);
        endpoints.ServiceProvider.GetRequiredService<GrpcServiceRegistry>().AddMethods(binder.MappedMethods);
        return binder.Conventions;
    }

    private static (MethodInfo BindMethod, Type BaseType) FindBindMethod(Type serviceType)
    {
        var attribute = serviceType.GetCustomAttribute<BindServiceMethodAttribute>(inherit: true)
            ?? throw new InvalidOperationException($"{serviceType} is not a gRPC service: it must derive from a generated service base class (one marked [BindServiceMethod]).");
        foreach (var method in attribute.BindType.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
        {
            var parameters = method.GetParameters();
            if (method.Name == attribute.BindMethodName && parameters.Length == 1 &&
                parameters[0].ParameterType.IsGenericType &&
                parameters[0].ParameterType.GetGenericTypeDefinition() == typeof(ServiceBinder<>))
            {
                return (method, parameters[0].ParameterType.GetGenericArguments()[0]);
            }
        }

        throw new InvalidOperationException($"{attribute.BindType}.{attribute.BindMethodName}(ServiceBinder<T>) was not found.");
    }
}
