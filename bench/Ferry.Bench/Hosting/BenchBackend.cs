using System.Net;
using Ferry.Grpc.AspNetCore;
using Ferry.Grpc.AspNetCore.Hosting;
using Ferry.Interop;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ferry.Bench.Hosting;

/// <summary>
/// The benchmark backend: <c>grpc.testing.TestService</c> on h2c, with Kestrel set up for throughput rather than
/// for defending a public port (no data-rate minimums, room for many streams, windows big enough for bulk streams).
/// </summary>
internal static class BenchBackend
{
    public static async Task<(WebApplication App, int Port)> StartAsync(IPAddress address, int port, BenchBackendOptions options, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Limits.Http2.MaxStreamsPerConnection = options.MaxStreamsPerConnection;
            kestrel.Limits.Http2.InitialConnectionWindowSize = options.ConnectionWindow;
            kestrel.Limits.Http2.InitialStreamWindowSize = options.StreamWindow;
            kestrel.Listen(address, port, listen => listen.UseGrpc());
        });
        builder.Services.AddFerryGrpc(o => o.MaxReceiveMessageSize = options.MaxReceiveMessageSize);
        var app = builder.Build();
        app.MapGrpcService<TestServiceImpl>();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(bound.Replace("[::]", "localhost", StringComparison.Ordinal)).Port);
    }
}

/// <summary>Kestrel and gRPC limits of the benchmark backend.</summary>
internal sealed record BenchBackendOptions
{
    /// <summary>The brief's 64 MiB: the bidi echo and server stream carry 64 KiB messages, with room to spare.</summary>
    public int MaxReceiveMessageSize { get; init; } = 64 * 1024 * 1024;

    /// <summary>Above every load generator's streams per connection (h2load -m 32, 1000 in the proxies).</summary>
    public int MaxStreamsPerConnection { get; init; } = 1000;

    /// <summary>HTTP/2 receive windows: Kestrel's defaults (1 MiB / 768 KiB) are raised as the gateway's are.</summary>
    public int ConnectionWindow { get; init; } = 4 * 1024 * 1024;

    public int StreamWindow { get; init; } = 1024 * 1024;
}
