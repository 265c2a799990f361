using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.Grpc.AspNetCore.Server;

/// <summary>
/// Makes the service instance for a call: from DI when registered there (DI owns its lifetime), otherwise a new
/// instance per call, disposed when the call ends.
/// </summary>
internal sealed class ServiceActivator<TService>(Func<IServiceProvider, (TService Service, bool Owned)> create)
    where TService : class
{
    public (TService Service, bool Owned) Create(HttpContext context) => create(context.RequestServices);

    public static async ValueTask ReleaseAsync(TService service, bool owned)
    {
        if (!owned)
        {
            return;
        }

        switch (service)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }
}

internal static class ServiceActivator
{
    public static ServiceActivator<TService> For<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TService>()
        where TService : class
    {
        var factory = ActivatorUtilities.CreateFactory<TService>([]);
        return new ServiceActivator<TService>(services =>
            services.GetService<TService>() is { } registered ? (registered, false) : (factory(services, null), true));
    }
}
