using Ferry.Grpc.AspNetCore.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Ferry.Grpc.AspNetCore;

public static class GrpcServiceCollectionExtensions
{
    /// <summary>Adds Ferry's gRPC server. Map services with <c>MapGrpcService&lt;T&gt;()</c>.</summary>
    public static IServiceCollection AddFerryGrpc(this IServiceCollection services, Action<GrpcServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddRouting();
        services.AddOptions<GrpcServerOptions>().Validate(
            options =>
            {
                options.Validate();
                return true;
            });
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton<GrpcServiceRegistry>();
        services.TryAddSingleton(static sp => new ServerCallSettings(sp.GetRequiredService<IOptions<GrpcServerOptions>>().Value));
        return services;
    }
}
