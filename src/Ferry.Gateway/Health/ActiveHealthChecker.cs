using Ferry.Gateway.Runtime;
using Ferry.Gateway.Upstream;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Health;

/// <summary>
/// Active health checking for every cluster with <c>health.active</c>: each endpoint is asked
/// grpc.health.v1.Health/Check every interval and taken out of (or put back into) load balancing by
/// <see cref="EndpointState.ActiveHealthy"/>. Follows reloads: a cluster carried over keeps its checks, a new one
/// gets its own, a replaced or removed one has its checks stopped.
/// </summary>
internal sealed class ActiveHealthChecker : IHostedService
{
    private readonly GatewayRuntime _runtime;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<ClusterState, ClusterHealthProbes> _probes = new(ReferenceEqualityComparer.Instance);
    private readonly List<Task> _stopping = [];
    private bool _stopped;

    public ActiveHealthChecker(GatewayRuntime runtime, TimeProvider time, ILogger<ActiveHealthChecker> logger)
        : this(runtime, time, Random.Shared, logger)
    {
    }

    /// <param name="random">Spreads the first checks over the interval; used under a lock only.</param>
    internal ActiveHealthChecker(GatewayRuntime runtime, TimeProvider time, Random random, ILogger logger)
    {
        _runtime = runtime;
        _time = time;
        _random = random;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _runtime.StateChanged += OnStateChanged;
        Follow(_runtime.Current);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _runtime.StateChanged -= OnStateChanged;
        Task[] pending;
        lock (_lock)
        {
            _stopped = true;
            pending = [.. _probes.Values.Select(p => p.StopAsync()), .. _stopping];
            _probes.Clear();
            _stopping.Clear();
        }

        await Task.WhenAll(pending).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the runtime's current state rather than the one passed: two reloads racing may raise their events
    /// out of order, and the checks must end up following the newest.
    /// </summary>
    private void OnStateChanged(GatewayState state) => Follow(_runtime.Current);

    private void Follow(GatewayState state)
    {
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            var wanted = new HashSet<ClusterState>(
                state.Clusters.Values.Where(c => c.Config.Health.Active is not null),
                ReferenceEqualityComparer.Instance);
            foreach (var (cluster, probes) in _probes.ToArray())
            {
                if (!wanted.Contains(cluster))
                {
                    _probes.Remove(cluster);
                    _stopping.Add(probes.StopAsync());
                }
            }

            foreach (var cluster in wanted)
            {
                if (!_probes.ContainsKey(cluster))
                {
                    _probes[cluster] = ClusterHealthProbes.Start(cluster, _time, _random, _logger);
                }
            }

            _stopping.RemoveAll(t => t.IsCompleted);
        }
    }
}
