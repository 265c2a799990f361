using Ferry.Gateway.Config;
using Ferry.Grpc.Testing;
using Ferry.Interop;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Ferry.Gateway.Tests.Health;

/// <summary>
/// A real backend: Kestrel on an ephemeral port serving the interop TestService and a controllable health service.
/// Counts the TestService calls it served (so a test sees which backend took a call) and can answer every one of
/// them with UNAVAILABLE, as a backend failing in a way that points at itself does.
/// </summary>
internal sealed class HealthBackend : IAsyncDisposable
{
    private const string TestServicePrefix = "/grpc.testing.TestService/";
    private GrpcTestServer? _server;
    private int _calls;
    private volatile bool _failCalls;
    private bool _stopped;

    private HealthBackend()
    {
    }

    public ControllableHealthService Health { get; } = new();

    /// <summary>host:port, as the gateway's config names the endpoint.</summary>
    public string Address { get; private set; } = "";

    /// <summary>TestService calls that reached this backend.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>When set, every TestService call is answered with UNAVAILABLE before reaching the service.</summary>
    public bool FailCalls
    {
        get => _failCalls;
        set => _failCalls = value;
    }

    public EndpointConfig Endpoint => new() { Address = Address };

    public static async Task<HealthBackend> StartAsync()
    {
        var backend = new HealthBackend();
        backend._server = await GrpcTestServer.StartAsync(server => server
            .AddService(new TestServiceImpl())
            .AddService(backend.Health)
            .WithApp(app => app.Use(backend.ServeAsync))).WaitAsync(HealthTestTimeouts.Default);
        backend.Address = $"127.0.0.1:{backend._server.Address.Port}";
        return backend;
    }

    /// <summary>Stops listening: from now on connecting to <see cref="Address"/> is refused.</summary>
    public async Task StopAsync()
    {
        if (!_stopped && _server is not null)
        {
            _stopped = true;
            await _server.DisposeAsync().AsTask().WaitAsync(HealthTestTimeouts.Default);
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task ServeAsync(HttpContext context, RequestDelegate next)
    {
        if (!context.Request.Path.StartsWithSegments(TestServicePrefix.TrimEnd('/'), StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        Interlocked.Increment(ref _calls);
        if (!_failCalls)
        {
            await next(context);
            return;
        }

        // A trailers-only UNAVAILABLE, as a backend that is overloaded or shutting down answers.
        await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = "14";
        context.Response.Headers["grpc-message"] = "backend failing on purpose";
    }
}
