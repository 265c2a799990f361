using System.Net;
using Ferry.Gateway.Health;
using Ferry.Grpc.AspNetCore;
using Ferry.Grpc.AspNetCore.Hosting;
using Ferry.Interop;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Cli.Demo;

/// <summary>
/// A built-in backend for the embedded demo: the interop TestService and grpc.health.v1 on a free loopback port.
/// </summary>
internal sealed class DemoBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DemoBackend(WebApplication app, IPEndPoint endPoint)
    {
        _app = app;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    public static async Task<DemoBackend> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions? listen = null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, options =>
        {
            options.UseGrpc();
            listen = options;
        }));
        builder.Services.AddFerryGrpc(options => options.MaxReceiveMessageSize = 16 * 1024 * 1024);
        var app = builder.Build();
        app.MapGrpcService<TestServiceImpl>();
        app.MapGrpcService<ServingHealthService>();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new DemoBackend(app, listen!.IPEndPoint!);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
