using System.Net;
using Ferry.Grpc.AspNetCore;
using Ferry.Grpc.AspNetCore.Hosting;
using Ferry.Grpc.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ferry.Grpc.Testing;

/// <summary>
/// A real Kestrel gRPC server on an ephemeral loopback port, with a channel already connected to it:
/// <code>await using var server = await GrpcTestServer.StartAsync(s => s.AddService&lt;MyGreeter&gt;());</code>
/// </summary>
public sealed class GrpcTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<GrpcChannel> _channels = [];

    private GrpcTestServer(WebApplication app, Uri address, GrpcTestServerBuilder builder)
    {
        _app = app;
        Address = address;
        Builder = builder;
        Channel = CreateChannel();
    }

    /// <summary>Where the server listens, e.g. <c>http://127.0.0.1:39411</c>.</summary>
    public Uri Address { get; }

    /// <summary>A channel to the server, disposed with it.</summary>
    public GrpcChannel Channel { get; }

    public IServiceProvider Services => _app.Services;

    internal GrpcTestServerBuilder Builder { get; }

    public static async Task<GrpcTestServer> StartAsync(Action<GrpcTestServerBuilder> configure, CancellationToken cancellationToken = default)
    {
        var builder = new GrpcTestServerBuilder();
        configure(builder);
        var web = WebApplication.CreateSlimBuilder();
        web.Logging.ClearProviders();
        builder.ConfigureLogging?.Invoke(web.Logging);
        web.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseGrpc(builder.Tls, builder.KeepAlive));
            if (builder.KeepAlive is { } keepAlive)
            {
                kestrel.ConfigureGrpcKeepAlive(keepAlive);
            }

            builder.ConfigureKestrel?.Invoke(kestrel);
        });
        web.Services.AddFerryGrpc(builder.ConfigureGrpc);
        foreach (var register in builder.ServiceRegistrations)
        {
            register(web.Services);
        }

        builder.ConfigureServices?.Invoke(web.Services);
        var app = web.Build();
        foreach (var map in builder.Mappings)
        {
            map(app);
        }

        builder.ConfigureApp?.Invoke(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal)).Port;
        var scheme = builder.Tls is null ? "http" : "https";
        return new GrpcTestServer(app, new Uri($"{scheme}://127.0.0.1:{port}"), builder);
    }

    /// <summary>Another channel to the server (e.g. with other options); disposed with the server.</summary>
    public GrpcChannel CreateChannel(GrpcChannelOptions? options = null)
    {
        var channel = GrpcChannel.ForAddress(Address, options ?? Builder.ChannelOptions ?? new GrpcChannelOptions());
        lock (_channels)
        {
            _channels.Add(channel);
        }

        return channel;
    }

    public async ValueTask DisposeAsync()
    {
        lock (_channels)
        {
            foreach (var channel in _channels)
            {
                channel.Dispose();
            }
        }

        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
