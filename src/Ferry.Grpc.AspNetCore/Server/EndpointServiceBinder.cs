using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ferry.Grpc.AspNetCore.Server;

/// <summary>Turns each method a generated <c>BindService</c> reports into a POST endpoint at its full name.</summary>
internal sealed class EndpointServiceBinder<TService> : ServiceBinder<TService>
    where TService : class
{
    private readonly IEndpointRouteBuilder _endpoints;
    private readonly ServerCallServices<TService> _services;
    private readonly List<IEndpointConventionBuilder> _builders = [];
    private readonly List<(string Service, string FullName)> _methods = [];

    public EndpointServiceBinder(IEndpointRouteBuilder endpoints, ServiceActivator<TService> activator)
    {
        _endpoints = endpoints;
        var services = endpoints.ServiceProvider;
        _services = new ServerCallServices<TService>(
            activator,
            services.GetRequiredService<ServerCallSettings>(),
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetRequiredService<ILoggerFactory>().CreateLogger("Ferry.Grpc.Server"));
    }

    public IEndpointConventionBuilder Conventions => new CompositeConventionBuilder(_builders);

    public IReadOnlyList<(string Service, string FullName)> MappedMethods => _methods;

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TService, TRequest, TResponse> handler) =>
        Map(method, new UnaryServerCallHandler<TService, TRequest, TResponse>(method, handler, _services).HandleCallAsync);

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TService, TRequest, TResponse> handler) =>
        Map(method, new ClientStreamingServerCallHandler<TService, TRequest, TResponse>(method, handler, _services).HandleCallAsync);

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TService, TRequest, TResponse> handler) =>
        Map(method, new ServerStreamingServerCallHandler<TService, TRequest, TResponse>(method, handler, _services).HandleCallAsync);

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TService, TRequest, TResponse> handler) =>
        Map(method, new DuplexStreamingServerCallHandler<TService, TRequest, TResponse>(method, handler, _services).HandleCallAsync);

    private void Map<TRequest, TResponse>(Method<TRequest, TResponse> method, RequestDelegate handler)
    {
        var builder = _endpoints.Map(method.FullName, handler)
            .WithMetadata(new HttpMethodMetadata(["POST"]))
            .WithDisplayName("gRPC - " + method.FullName);
        _builders.Add(builder);
        _methods.Add((method.ServiceName, method.FullName));
    }

    private sealed class CompositeConventionBuilder(IReadOnlyList<IEndpointConventionBuilder> builders) : IEndpointConventionBuilder
    {
        public void Add(Action<EndpointBuilder> convention)
        {
            foreach (var builder in builders)
            {
                builder.Add(convention);
            }
        }
    }
}
