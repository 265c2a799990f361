using System.Net;
using Ferry.Gateway.Config;
using Ferry.Gateway.Hosting;
using Ferry.Gateway.Runtime;
using Ferry.Gateway.Upstream;
using Ferry.Grpc.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>
/// A gateway in process on 127.0.0.1, port 0 (listener <see cref="Listener"/>), started and awaited, with a Ferry
/// channel to it; everything is stopped on dispose.
/// </summary>
internal sealed class TestGateway : IAsyncDisposable
{
    public const string Listener = "main";

    private readonly List<GrpcChannel> _channels = [];

    private TestGateway(GatewayHost host, Uri address)
    {
        Host = host;
        Address = address;
        Channel = CreateChannel();
        Client = new Probe.ProbeClient(Channel);
    }

    public GatewayHost Host { get; }

    /// <summary>The listener's address, e.g. <c>http://127.0.0.1:40123</c>.</summary>
    public Uri Address { get; }

    public IPEndPoint EndPoint => Host.GetListenerEndPoint(Listener);

    public GrpcChannel Channel { get; }

    public Probe.ProbeClient Client { get; }

    /// <summary>The gateway's live view of a cluster: endpoints with their open streams and health.</summary>
    internal ClusterState Cluster(string name) => Host.Services.GetRequiredService<GatewayRuntime>().Current.Clusters[name];

    public static async Task<TestGateway> StartAsync(GatewayConfig config, GatewayHostOptions? options = null)
    {
        // Tests end their calls before stopping; a call left open must not hold the test up for long.
        options ??= new GatewayHostOptions { ShutdownTimeout = TimeSpan.FromSeconds(2) };
        options = options with { ConfigureLogging = options.ConfigureLogging ?? (_ => { }) };
        var host = await GatewayHost.StartAsync(config, options).WaitAsync(TestTimeouts.Default);
        var listener = config.Listeners.Single(l => l.Name == Listener);
        var endPoint = host.GetListenerEndPoint(Listener);
        var scheme = listener.Tls is null ? "http" : "https";
        return new TestGateway(host, new Uri($"{scheme}://127.0.0.1:{endPoint.Port}"));
    }

    /// <summary>One gateway, one listener, one route (everything) to one cluster.</summary>
    public static Task<TestGateway> StartAsync(ClusterConfig cluster, Func<RouteConfig, RouteConfig>? route = null, GatewayHostOptions? options = null) =>
        StartAsync(GatewayConfigs.Single(cluster, route), options);

    public GrpcChannel CreateChannel(GrpcChannelOptions? options = null)
    {
        var channel = GrpcChannel.ForAddress(Address, options ?? new GrpcChannelOptions());
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

        await Host.DisposeAsync().AsTask().WaitAsync(TestTimeouts.Default);
    }
}
