using System.Net;
using Ferry.Gateway.Config;
using Ferry.Gateway.Diagnostics;
using Ferry.Gateway.Forwarding;
using Ferry.Gateway.Health;
using Ferry.Gateway.Metrics;
using Ferry.Gateway.Runtime;
using Ferry.Gateway.Upstream;
using Ferry.Grpc.AspNetCore;
using Ferry.Grpc.AspNetCore.Hosting;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Hosting;

/// <summary>
/// A running gateway: Kestrel listeners from the config, the forwarding pipeline, the gateway's own health
/// service and /metrics. <see cref="Apply"/> swaps in a new config without dropping calls in flight.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private const string AdminListener = "ferry.admin";
    private readonly WebApplication _app;
    private readonly GatewayRuntime _runtime;
    private readonly GatewayMetrics _metrics;
    private readonly Dictionary<string, ListenOptions> _listenOptions;

    private GatewayHost(WebApplication app, Dictionary<string, ListenOptions> listenOptions)
    {
        _app = app;
        _listenOptions = listenOptions;
        _runtime = app.Services.GetRequiredService<GatewayRuntime>();
        _metrics = app.Services.GetRequiredService<GatewayMetrics>();
    }

    public IServiceProvider Services => _app.Services;

    /// <summary>The config the gateway runs now.</summary>
    public GatewayConfig Config => _runtime.Current.Config;

    /// <summary>
    /// Starts the gateway. Listener addresses are fixed for the life of the host; everything else can change
    /// through <see cref="Apply"/>.
    /// </summary>
    public static async Task<GatewayHost> StartAsync(GatewayConfig config, GatewayHostOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new GatewayHostOptions();
        options.Validate();
        var errors = GatewayConfigValidator.Validate(config);
        if (errors.Count > 0)
        {
            throw new GatewayConfigException(errors);
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (options.ConfigureLogging is { } configureLogging)
        {
            configureLogging(builder.Logging);
        }
        else if (config.AccessLog.Format == "json")
        {
            builder.Logging.AddJsonConsole();
        }
        else
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        }

        // Per-request hosting logs would double the access log and cost time on every call. With its category
        // enabled at all, hosting also starts an Activity and a log scope for every request (allocations and
        // async-local writes on the hot path) only to decorate log lines the gateway never writes.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        builder.Services.AddSingleton(options.TimeProvider);
        builder.Services.AddSingleton(new GatewayRuntime(config, options.Connector ?? TcpUpstreamConnector.Instance, options.TimeProvider, options.Random));
        builder.Services.AddSingleton<GrpcForwarder>();
        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddSingleton<GatewayRequestHandler>();
        builder.Services.AddSingleton<GatewayHealthResponder>();
        builder.Services.AddFerryGrpc();
        builder.Services.AddFerryMetrics();
        builder.Services.AddHostedService<ActiveHealthChecker>();
        var listenOptions = new Dictionary<string, ListenOptions>(StringComparer.Ordinal);
        builder.WebHost.ConfigureKestrel(kestrel => ConfigureKestrel(kestrel, config, options, listenOptions));
        // The gateway's connection handlers never block (its HTTP/2 server connection only copies bytes and flips
        // state before it awaits), so socket reads run them on the completing thread and their writes reach the
        // socket on the writing thread: two thread-pool hops fewer per exchange.
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        // The socket transport takes its pools from this factory: receives then take up to a large block.
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>>(new ReceiveBlockPool.Factory(options.ReceiveBlockSize, options.ReceiveBlockBudget));

        var app = builder.Build();
        var host = new GatewayHost(app, listenOptions);
        host._metrics.Observe(() => host._runtime.Current);
        host.ConfigurePipeline();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return host;
    }

    /// <summary>The address a listener is bound to (its real port when the config said port 0).</summary>
    public IPEndPoint GetListenerEndPoint(string listenerName) => _listenOptions[listenerName].IPEndPoint!;

    public IPEndPoint? AdminEndPoint => _listenOptions.TryGetValue(AdminListener, out var admin) ? admin.IPEndPoint : null;

    /// <summary>
    /// Applies a new, valid config: routes, clusters and limits change at once for new calls; calls in flight
    /// finish on what they started with. Listener addresses cannot change without a restart.
    /// </summary>
    public void Apply(GatewayConfig config)
    {
        var errors = GatewayConfigValidator.Validate(config);
        var current = _runtime.Current.Config;
        var added = config.Listeners.Select(l => l.Name + "=" + l.Address).Except(current.Listeners.Select(l => l.Name + "=" + l.Address)).ToList();
        if (errors.Count > 0 || added.Count > 0)
        {
            _metrics.Reloaded(succeeded: false);
            throw errors.Count > 0
                ? new GatewayConfigException(errors)
                : new InvalidOperationException($"Listener addresses cannot change while running (changed: {string.Join(", ", added)}); restart the gateway to apply them.");
        }

        _runtime.Apply(config);
        _metrics.Reloaded(succeeded: true);
    }

    /// <summary>Counts a reload that was refused before it reached <see cref="Apply"/> (e.g. a YAML error).</summary>
    public void RecordFailedReload() => _metrics.Reloaded(succeeded: false);

    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops accepting, sends GOAWAY, lets calls in flight finish (up to the shutdown timeout), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _runtime.Dispose();
    }

    private static void ConfigureKestrel(KestrelServerOptions kestrel, GatewayConfig config, GatewayHostOptions options, Dictionary<string, ListenOptions> listenOptions)
    {
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxRequestBodySize = null;
        kestrel.Limits.MinRequestBodyDataRate = null;
        kestrel.Limits.MinResponseDataRate = null;
        foreach (var listener in config.Listeners)
        {
            var limit = listener.Limits.MaxConnections;
            var http2 = new Http2ServerOptions
            {
                MaxConcurrentStreams = listener.Limits.MaxStreamsPerConnection,
                InitialConnectionWindow = options.Http2ConnectionWindow,
                InitialStreamWindow = options.Http2StreamWindow,
                MaxStreamWindow = options.Http2MaxStreamWindow,
            };
            http2.Validate();
            kestrel.Listen(IPEndPoint.Parse(listener.Address), listen =>
            {
                // Kestrel serves HTTP/1.1 only (metrics scrapes, refusals); HTTP/2 is taken by Ferry's own server
                // below. With TLS, ALPN offers both.
                var tls = LoadTls(listener.Tls);
                listen.Protocols = tls is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                if (tls is not null)
                {
                    GrpcListenOptionsExtensions.UseTls(listen, tls);
                }

                var middleware = new ListenerConnectionMiddleware(listener.Name, () => limit);
                listen.Use(next => connection => middleware.InvokeAsync(connection, next));
                listen.Use(next =>
                {
                    var services = listen.ApplicationServices;
                    var http2Middleware = new Http2ConnectionMiddleware(
                        listener.Name, http2, services.GetRequiredService<GatewayRequestHandler>(), options.TimeProvider, plaintext: tls is null,
                        services.GetRequiredService<ILoggerFactory>().CreateLogger<Http2ConnectionMiddleware>());
                    return connection => http2Middleware.InvokeAsync(connection, next);
                });
                listenOptions[listener.Name] = listen;
            });
        }

        if (config.Admin?.Address is { } adminAddress)
        {
            kestrel.Listen(IPEndPoint.Parse(adminAddress), listen =>
            {
                // Cleartext HTTP/1.1, what Prometheus and curl speak by default (Kestrel cannot offer h2c beside it).
                listen.Protocols = HttpProtocols.Http1;
                var middleware = new ListenerConnectionMiddleware(AdminListener, () => null);
                listen.Use(next => connection => middleware.InvokeAsync(connection, next));
                listenOptions[AdminListener] = listen;
            });
        }
    }

    private static ServerTlsOptions? LoadTls(ListenerTlsConfig? tls) => tls is null
        ? null
        : new ServerTlsOptions
        {
            Certificate = PemCertificates.LoadCertificateWithKey(tls.Cert, tls.Key),
            ClientCertificateAuthorities = tls.ClientCa is null ? null : PemCertificates.LoadCertificates(tls.ClientCa),
        };

    /// <summary>
    /// What reaches Kestrel's own HTTP pipeline is HTTP/1.1 (HTTP/2 is served by <see cref="Http2ConnectionMiddleware"/>):
    /// /metrics, and a clear refusal of anything else.
    /// </summary>
    private void ConfigurePipeline()
    {
        var exporter = _app.Services.GetRequiredService<PrometheusExporter>();
        _app.Run(context =>
        {
            var listener = ListenerConnectionMiddleware.GetListener(context);
            var isAdmin = listener == AdminListener;
            if (MetricsEndpoint.Serves(_runtime.Current.Config, isAdmin, context.Request.Method, context.Request.Path.Value ?? ""))
            {
                context.Response.ContentType = PrometheusExporter.ContentType;
                return exporter.WriteAsync(context.Response.Body, context.RequestAborted);
            }

            if (isAdmin)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return context.Response.WriteAsync("This Ferry gateway forwards gRPC (HTTP/2, application/grpc) only.\n");
        });
    }
}
