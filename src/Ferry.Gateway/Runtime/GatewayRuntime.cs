using System.Text.Json;
using Ferry.Gateway.Config;
using Ferry.Gateway.Limits;
using Ferry.Gateway.Routing;
using Ferry.Gateway.Upstream;

namespace Ferry.Gateway.Runtime;

/// <summary>
/// Holds the live <see cref="GatewayState"/> and swaps it on reload. Calls read the state once when they start, so
/// in-flight calls finish on the routes and clusters they began with. A cluster whose settings did not change is
/// carried over with its connections and endpoint health; a replaced one is retired after its last call.
/// </summary>
internal sealed class GatewayRuntime : IDisposable
{
    private readonly IUpstreamConnector _connector;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly Lock _lock = new();
    private volatile GatewayState _current;
    private Dictionary<string, string> _clusterFingerprints = [];
    private Dictionary<(string Listener, string Route), (RouteLimitsConfig Limits, RouteLimiter? Limiter)> _limiters = [];

    public GatewayRuntime(GatewayConfig config, IUpstreamConnector connector, TimeProvider time, Random random)
    {
        _connector = connector;
        _time = time;
        _random = random;
        _current = Build(config, previous: null);
    }

    public GatewayState Current => _current;

    /// <summary>Raised after a new state is in place (health checkers follow the cluster set).</summary>
    public event Action<GatewayState>? StateChanged;

    public void Apply(GatewayConfig config)
    {
        GatewayState next;
        lock (_lock)
        {
            var previous = _current;
            next = Build(config, previous);
            _current = next;
            foreach (var (name, cluster) in previous.Clusters)
            {
                if (!next.Clusters.TryGetValue(name, out var kept) || !ReferenceEquals(kept, cluster))
                {
                    cluster.Retire();
                }
            }
        }

        StateChanged?.Invoke(next);
    }

    public void Dispose()
    {
        foreach (var cluster in _current.Clusters.Values)
        {
            cluster.Retire();
        }
    }

    private GatewayState Build(GatewayConfig config, GatewayState? previous)
    {
        var fingerprints = new Dictionary<string, string>(StringComparer.Ordinal);
        var clusters = new Dictionary<string, ClusterState>(StringComparer.Ordinal);
        foreach (var clusterConfig in config.Clusters)
        {
            var fingerprint = JsonSerializer.Serialize(clusterConfig, ClusterFingerprintContext.Default.ClusterConfig);
            fingerprints[clusterConfig.Name] = fingerprint;
            clusters[clusterConfig.Name] =
                previous is not null && previous.Clusters.TryGetValue(clusterConfig.Name, out var existing) &&
                _clusterFingerprints.TryGetValue(clusterConfig.Name, out var old) && old == fingerprint
                    ? existing
                    : new ClusterState(clusterConfig, _connector, _time, _random);
        }

        // A route keeps its limiter (and so its token bucket) across reloads while its limits are unchanged.
        var limiters = new Dictionary<(string, string), (RouteLimitsConfig, RouteLimiter?)>();
        var listeners = new Dictionary<string, RouteTable>(StringComparer.Ordinal);
        foreach (var listener in config.Listeners)
        {
            var routes = new List<CompiledRoute>(listener.Routes.Count);
            foreach (var route in listener.Routes)
            {
                var key = (listener.Name, route.Name);
                var limiter = _limiters.TryGetValue(key, out var old) && old.Limits == route.Limits
                    ? old.Limiter
                    : RouteLimiter.Create(route.Name, route.Limits);
                limiters[key] = (route.Limits, limiter);
                routes.Add(new CompiledRoute(listener.Name, route, clusters[route.Cluster], limiter));
            }

            listeners[listener.Name] = new RouteTable(listener.Name, [.. routes]);
        }

        foreach (var (key, (_, limiter)) in _limiters)
        {
            if (limiter is not null && (!limiters.TryGetValue(key, out var kept) || !ReferenceEquals(kept.Item2, limiter)))
            {
                limiter.Dispose();
            }
        }

        _limiters = limiters;
        _clusterFingerprints = fingerprints;
        return new GatewayState(config, listeners, clusters);
    }
}
