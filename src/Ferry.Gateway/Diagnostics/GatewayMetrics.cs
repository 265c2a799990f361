using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Ferry.Gateway.Runtime;
using Ferry.Gateway.Upstream;

namespace Ferry.Gateway.Diagnostics;

/// <summary>
/// The gateway's instruments, on the "Ferry.Gateway" meter. Tags are strings only (cached per status code) so
/// recording a call allocates nothing. Per-route streams and bytes are running totals on the route
/// (<see cref="RouteTraffic"/>) that observable instruments report, so a call makes two measurements, not six.
/// </summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "Ferry.Gateway";

    private static readonly string[] StatusLabels = Enumerable.Range(0, 17).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private readonly Counter<long> _calls;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _rejections;
    private readonly Counter<long> _reloads;
    private readonly Counter<long> _resends;
    private readonly ConcurrentDictionary<string, RouteTraffic> _routes = new(StringComparer.Ordinal);
    private Func<GatewayState>? _state;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _calls = meter.CreateCounter<long>("ferry.gateway.calls", "{call}", "Calls handled, by route, cluster, endpoint and gRPC status (-1: stream reset).");
        _duration = meter.CreateHistogram<double>(
            "ferry.gateway.call.duration",
            "s",
            "Call duration from request headers to the end of the response.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        meter.CreateObservableUpDownCounter("ferry.gateway.active_streams", () => ObserveRoutes(static r => r.ActiveStreams), "{stream}", "Calls in flight, by route.");
        _rejections = meter.CreateCounter<long>("ferry.gateway.limit.rejections", "{call}", "Calls refused by a limit, by route and limit.");
        meter.CreateObservableCounter("ferry.gateway.request.bytes", () => ObserveRoutes(static r => r.RequestBytes), "By", "Request body bytes forwarded to backends, by route.");
        meter.CreateObservableCounter("ferry.gateway.response.bytes", () => ObserveRoutes(static r => r.ResponseBytes), "By", "Response body bytes forwarded to clients, by route.");
        _resends = meter.CreateCounter<long>(
            "ferry.gateway.resends",
            "{attempt}",
            "Calls sent to a backend again, by cluster and reason: retry (a failed connect or REFUSED_STREAM, within the retry budget) or goaway (the backend closed the connection before taking the stream; not a retry).");
        _reloads = meter.CreateCounter<long>("ferry.gateway.config.reloads", "{reload}", "Configuration reloads, by result (ok, failed).");
        meter.CreateObservableGauge("ferry.gateway.endpoint.healthy", ObserveHealth, unit: null, "1 when the endpoint takes new calls, 0 when it fails health checks or is ejected.");
        meter.CreateObservableGauge("ferry.gateway.endpoint.active_streams", ObserveOutstanding, "{stream}", "Calls open to each endpoint.");
    }

    /// <summary>Connects the endpoint gauges to the live state.</summary>
    public void Observe(Func<GatewayState> state) => _state = state;

    /// <summary>The route's running totals; kept for the gateway's lifetime, so they carry across reloads.</summary>
    public RouteTraffic TrafficOf(string route) => _routes.GetOrAdd(route, static name => new RouteTraffic(name));

    public void CallEnded(string route, string cluster, string endpoint, int grpcStatus, TimeSpan duration)
    {
        var routeTag = new KeyValuePair<string, object?>("route", route);
        var status = grpcStatus is >= 0 and < 17 ? StatusLabels[grpcStatus] : "-1";
        var tags = new TagList { routeTag, { "cluster", cluster }, { "endpoint", endpoint }, { "grpc_status", status } };
        _calls.Add(1, tags);
        _duration.Record(duration.TotalSeconds, routeTag, new KeyValuePair<string, object?>("cluster", cluster));
    }

    /// <summary>A call took more than one attempt: <paramref name="retries"/> budgeted retries and <paramref name="goAwayResends"/> sends after a GOAWAY.</summary>
    public void Resent(string cluster, int retries, int goAwayResends)
    {
        var clusterTag = new KeyValuePair<string, object?>("cluster", cluster);
        if (retries > 0)
        {
            _resends.Add(retries, clusterTag, new KeyValuePair<string, object?>("reason", "retry"));
        }

        if (goAwayResends > 0)
        {
            _resends.Add(goAwayResends, clusterTag, new KeyValuePair<string, object?>("reason", "goaway"));
        }
    }

    public void Rejected(string route, string limit) =>
        _rejections.Add(1, new KeyValuePair<string, object?>("route", route), new KeyValuePair<string, object?>("limit", limit));

    public void Reloaded(bool succeeded) =>
        _reloads.Add(1, new KeyValuePair<string, object?>("result", succeeded ? "ok" : "failed"));

    private IEnumerable<Measurement<long>> ObserveRoutes(Func<RouteTraffic, long> value) =>
        _routes.Values.Select(r => new Measurement<long>(value(r), new KeyValuePair<string, object?>("route", r.Route)));

    private IEnumerable<Measurement<int>> ObserveHealth() =>
        Endpoints().Select(e => new Measurement<int>(e.IsAvailable ? 1 : 0, Tags(e)));

    private IEnumerable<Measurement<int>> ObserveOutstanding() =>
        Endpoints().Select(e => new Measurement<int>(e.Outstanding, Tags(e)));

    private IEnumerable<EndpointState> Endpoints() =>
        _state is null ? [] : _state().Clusters.Values.SelectMany(c => c.Endpoints);

    private static TagList Tags(EndpointState endpoint) =>
        new() { { "cluster", endpoint.ClusterName }, { "endpoint", endpoint.Address }, { "state", endpoint.State.ToString().ToLowerInvariant() } };
}
