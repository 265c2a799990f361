using System.Diagnostics.CodeAnalysis;
using Ferry.Grpc.AspNetCore;
using Ferry.Grpc.AspNetCore.Hosting;
using Ferry.Grpc.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ferry.Grpc.Testing;

/// <summary>What a <see cref="GrpcTestServer"/> serves and how.</summary>
public sealed class GrpcTestServerBuilder
{
    internal List<Action<IServiceCollection>> ServiceRegistrations { get; } = [];

    internal List<Action<WebApplication>> Mappings { get; } = [];

    internal ServerTlsOptions? Tls { get; private set; }

    internal ServerKeepAliveOptions? KeepAlive { get; private set; }

    internal GrpcChannelOptions? ChannelOptions { get; private set; }

    internal Action<GrpcServerOptions>? ConfigureGrpc { get; private set; }

    internal Action<KestrelServerOptions>? ConfigureKestrel { get; private set; }

    internal Action<IServiceCollection>? ConfigureServices { get; private set; }

    internal Action<WebApplication>? ConfigureApp { get; private set; }

    internal Action<ILoggingBuilder>? ConfigureLogging { get; private set; }

    /// <summary>Serves <typeparamref name="TService"/>, made per call by DI.</summary>
    public GrpcTestServerBuilder AddService<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TService>()
        where TService : class, IBindableService
    {
        Mappings.Add(app => app.MapGrpcService<TService>());
        return this;
    }

    /// <summary>Serves one shared instance of <typeparamref name="TService"/>.</summary>
    public GrpcTestServerBuilder AddService<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TService>(TService instance)
        where TService : class, IBindableService
    {
        ServiceRegistrations.Add(services => services.AddSingleton(instance));
        return AddService<TService>();
    }

    public GrpcTestServerBuilder UseTls(ServerTlsOptions tls)
    {
        Tls = tls;
        return this;
    }

    /// <summary>Keepalive for the listener: its ping enforcement policy, and Kestrel's server PING time and timeout.</summary>
    public GrpcTestServerBuilder WithKeepAlive(ServerKeepAliveOptions keepAlive)
    {
        KeepAlive = keepAlive;
        return this;
    }

    /// <summary>Options for <see cref="GrpcTestServer.Channel"/> (e.g. the CA to trust for TLS).</summary>
    public GrpcTestServerBuilder WithChannelOptions(GrpcChannelOptions options)
    {
        ChannelOptions = options;
        return this;
    }

    public GrpcTestServerBuilder WithGrpcOptions(Action<GrpcServerOptions> configure)
    {
        ConfigureGrpc = configure;
        return this;
    }

    public GrpcTestServerBuilder WithKestrel(Action<KestrelServerOptions> configure)
    {
        ConfigureKestrel = configure;
        return this;
    }

    public GrpcTestServerBuilder WithServices(Action<IServiceCollection> configure)
    {
        ConfigureServices = configure;
        return this;
    }

    /// <summary>Adds endpoints or middleware beside the gRPC services (e.g. a plain HTTP endpoint).</summary>
    public GrpcTestServerBuilder WithApp(Action<WebApplication> configure)
    {
        ConfigureApp = configure;
        return this;
    }

    public GrpcTestServerBuilder WithLogging(Action<ILoggingBuilder> configure)
    {
        ConfigureLogging = configure;
        return this;
    }
}
