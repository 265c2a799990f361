using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.Grpc.AspNetCore.Server;

/// <summary>
/// Makes the service instance for a call: from DI when registered there (DI owns its lifetime), otherwise a new
/// instance per call, disposed when the call ends.
/// </summary>
internal sealed class ServiceActivator<TBase>(Func<IServiceProvider, (TBase Service, bool Owned)> create)
    where TBase : class
{
    public (TBase Service, bool Owned) Create(HttpContext context) => create(context.RequestServices);

    public static async ValueTask ReleaseAsync(TBase service, bool owned)
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
    public static ServiceActivator<TBase> For<TService, TBase>()
        where TService : class, TBase
        where TBase : class
    {
        var factory = ActivatorUtilities.CreateFactory<TService>([]);
        return new ServiceActivator<TBase>(services =>
            services.GetService<TService>() is { } registered ? (registered, false) : (factory(services, null), true));
    }
}
