using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Ferry.Gateway.Config;
using Ferry.Gateway.Hosting;
using Ferry.Gateway.Runtime;
using Ferry.Gateway.Upstream;
using Ferry.Grpc;
using Ferry.Grpc.Client;
using Grpc.Health.V1;
using Grpc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Tests.Health;

/// <summary>
/// A gateway on an ephemeral port with one listener, one catch-all route and the given cluster, plus clients for
/// calls through it, its own health service and its /metrics. Records its logs.
/// </summary>
internal sealed partial class HealthTestGateway : IAsyncDisposable
{
    public const string ClusterName = "svc";

    private readonly GatewayHost _host;
    private readonly GrpcChannel _channel;
    private readonly HttpClient _http;

    private HealthTestGateway(GatewayHost host, RecordingLoggerProvider logs)
    {
        _host = host;
        Logs = logs;
        var endPoint = host.GetListenerEndPoint("main");
        Address = new Uri($"http://127.0.0.1:{endPoint.Port}");
        _channel = GrpcChannel.ForAddress(Address);
        Client = new TestService.TestServiceClient(_channel);
        HealthClient = new global::Grpc.Health.V1.Health.HealthClient(_channel);
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false })
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = HealthTestTimeouts.Default,
        };
    }

    public Uri Address { get; }

    public TestService.TestServiceClient Client { get; }

    public global::Grpc.Health.V1.Health.HealthClient HealthClient { get; }

    public RecordingLoggerProvider Logs { get; }

    public GatewayHost Host => _host;

    public ClusterState Cluster => _host.Services.GetRequiredService<GatewayRuntime>().Current.Clusters[ClusterName];

    public static ClusterConfig ClusterOf(IEnumerable<HealthBackend> backends, ActiveHealthConfig? active, OutlierConfig? outlier = null) => new()
    {
        Name = ClusterName,
        LoadBalancing = "round_robin",
        Endpoints = [.. backends.Select(b => b.Endpoint)],
        Health = new HealthConfig { Active = active, Outlier = outlier },
        // Keep connect back-off short, so a backend that stops listening only stays out for its health verdict.
        Connection = new ConnectionConfig { BackoffInitial = TimeSpan.FromMilliseconds(20), BackoffMax = TimeSpan.FromMilliseconds(50) },
    };

    public static GatewayConfig ConfigOf(ClusterConfig cluster) => new()
    {
        Source = "health test",
        Listeners =
        [
            new ListenerConfig
            {
                Name = "main",
                Address = "127.0.0.1:0",
                Routes = [new RouteConfig { Name = "all", Cluster = cluster.Name }],
            },
        ],
        Clusters = [cluster],
        AccessLog = new AccessLogConfig { Enabled = false },
    };

    public static async Task<HealthTestGateway> StartAsync(ClusterConfig cluster, TimeProvider? time = null)
    {
        var logs = new RecordingLoggerProvider();
        var options = new GatewayHostOptions
        {
            TimeProvider = time ?? TimeProvider.System,
            ShutdownTimeout = TimeSpan.FromSeconds(2),
            ConfigureLogging = logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug),
        };
        var host = await GatewayHost.StartAsync(ConfigOf(cluster), options).WaitAsync(HealthTestTimeouts.Default);
        return new HealthTestGateway(host, logs);
    }

    /// <summary>
    /// Waits until the checks have taken <paramref name="backend"/>'s endpoint out (or brought it back) and the
    /// transition was logged; returns the latest such log entry.
    /// </summary>
    public async Task<RecordingLoggerProvider.LogEntry> WaitForVerdictAsync(HealthBackend backend, bool healthy)
    {
        var eventId = healthy ? 301 : 300;
        RecordingLoggerProvider.LogEntry? found = null;
        await HealthTestTimeouts.WaitUntilAsync(
            () => EndpointOf(backend).ActiveHealthy == healthy &&
                (found = Logs.Of(eventId).LastOrDefault(e => e.Message.Contains($"{backend.Address} ", StringComparison.Ordinal))) is not null,
            $"{backend.Address} is found {(healthy ? "healthy" : "unhealthy")} and that is logged");
        return found!;
    }

    public EndpointState EndpointOf(HealthBackend backend) => Cluster.Endpoints.Single(e => e.Address == backend.Address);

    /// <summary>One unary call through the gateway; its status (OK or the failure).</summary>
    public async Task<Status> CallAsync()
    {
        try
        {
            await Client.UnaryCallAsync(new SimpleRequest(), deadline: DateTime.UtcNow + HealthTestTimeouts.Default);
            return Status.DefaultSuccess;
        }
        catch (RpcException ex)
        {
            return ex.Status;
        }
    }

    /// <summary>The gateway's own grpc.health.v1 answer for <paramref name="service"/>.</summary>
    public async Task<HealthCheckResponse.Types.ServingStatus> CheckAsync(string service)
    {
        var response = await HealthClient.CheckAsync(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow + HealthTestTimeouts.Default);
        return response.Status;
    }

    /// <summary>
    /// ferry_gateway_endpoint_healthy for <paramref name="backend"/>, scraped from the listener's /metrics over h2c;
    /// null when the scrape has no such series.
    /// </summary>
    public async Task<(double Value, string State)?> ScrapeEndpointHealthyAsync(HealthBackend backend)
    {
        var text = await _http.GetStringAsync(new Uri(Address, "/metrics"));
        foreach (Match match in HealthySample().Matches(text))
        {
            var labels = match.Groups["labels"].Value;
            if (labels.Contains($"endpoint=\"{backend.Address}\"", StringComparison.Ordinal) &&
                labels.Contains($"cluster=\"{ClusterName}\"", StringComparison.Ordinal))
            {
                var state = StateLabel().Match(labels).Groups["state"].Value;
                return (double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture), state);
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        _channel.Dispose();
        await _host.DisposeAsync().AsTask().WaitAsync(HealthTestTimeouts.Default);
    }

    [GeneratedRegex(@"^ferry_gateway_endpoint_healthy\{(?<labels>[^}]*)\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex HealthySample();

    [GeneratedRegex("state=\"(?<state>[^\"]*)\"")]
    private static partial Regex StateLabel();
}
