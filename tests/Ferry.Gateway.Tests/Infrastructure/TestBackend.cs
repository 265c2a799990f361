using Ferry.Gateway.Config;
using Ferry.Grpc.AspNetCore.Hosting;
using Ferry.Grpc.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>
/// A real backend: Kestrel on 127.0.0.1, port 0, serving <see cref="ProbeService"/> under a name, and counting every
/// HTTP request that reaches it (so "no backend traffic" is checked, not assumed).
/// </summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private TestBackend(GrpcTestServer server, BackendProbe probe)
    {
        Server = server;
        Probe = probe;
    }

    public GrpcTestServer Server { get; }

    public BackendProbe Probe { get; }

    public string Name => Probe.Name;

    /// <summary>host:port, as an endpoint address in the gateway's config.</summary>
    public string Address => $"127.0.0.1:{Server.Address.Port}";

    public static async Task<TestBackend> StartAsync(string name, ServerTlsOptions? tls = null, Action<GrpcTestServerBuilder>? configure = null)
    {
        var probe = new BackendProbe(name);
        var server = await GrpcTestServer.StartAsync(builder =>
        {
            builder.AddService(new ProbeService(probe));
            builder.WithApp(app => app.Use(next => context =>
            {
                probe.CountRequest();
                return next(context);
            }));
            // Tests end their calls before stopping; a call left open must not hold the test up for long.
            builder.WithServices(services => services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2)));
            if (tls is not null)
            {
                builder.UseTls(tls);
            }

            configure?.Invoke(builder);
        }).WaitAsync(TestTimeouts.Default);
        return new TestBackend(server, probe);
    }

    public EndpointConfig Endpoint(int weight = 1) => new() { Address = Address, Weight = weight };

    public async ValueTask DisposeAsync() => await Server.DisposeAsync().AsTask().WaitAsync(TestTimeouts.Default);
}
