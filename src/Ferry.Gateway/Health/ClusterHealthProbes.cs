using Ferry.Gateway.Config;
using Ferry.Gateway.Upstream;
using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Health;

/// <summary>
/// The active health checks of one <see cref="ClusterState"/>: a loop per endpoint that checks it every interval
/// and sets <see cref="EndpointState.ActiveHealthy"/> when the counter reaches a verdict.
/// <code>
///   wait a random share of the interval (so endpoints are not all checked at once)
///   ┌─► Health/Check with deadline = timeout ─► counter ─► on a verdict: ActiveHealthy + log
///   └── next tick of the interval (a slow check delays, never doubles, the next one)
/// </code>
/// Lives as long as the cluster: a reload that keeps the cluster keeps its checks and their counts.
/// </summary>
internal sealed class ClusterHealthProbes
{
    private readonly ActiveHealthConfig _config;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    private ClusterHealthProbes(ClusterState cluster, ActiveHealthConfig config, TimeProvider time, Random random, ILogger logger)
    {
        Cluster = cluster;
        _config = config;
        _time = time;
        _logger = logger;
        var token = _stop.Token;
        var loops = new Task[cluster.Endpoints.Length];
        for (var i = 0; i < loops.Length; i++)
        {
            var endpoint = cluster.Endpoints[i];
            var firstDelay = TimeSpan.FromTicks((long)(random.NextDouble() * config.Interval.Ticks));
            // Off the caller's thread: the caller is a config reload, which should not run the first check.
            loops[i] = Task.Run(() => CheckEndpointAsync(endpoint, firstDelay, token), CancellationToken.None);
        }

        _run = Task.WhenAll(loops);
    }

    public ClusterState Cluster { get; }

    /// <summary>Starts checking <paramref name="cluster"/>, which must have <c>health.active</c> configured.</summary>
    public static ClusterHealthProbes Start(ClusterState cluster, TimeProvider time, Random random, ILogger logger)
    {
        var config = cluster.Config.Health.Active ?? throw new ArgumentException($"Cluster '{cluster.Name}' has no active health checks.", nameof(cluster));
        ActiveHealthLog.Started(logger, cluster.Name, cluster.Endpoints.Length, config.Interval, config.Timeout, config.Service);
        return new ClusterHealthProbes(cluster, config, time, random, logger);
    }

    /// <summary>Stops every loop and waits for the checks in flight to end (they are cancelled).</summary>
    public async Task StopAsync()
    {
        // CancelAsync runs the cancellation callbacks on the thread pool, so the caller (which may hold a lock)
        // never runs probe continuations inline.
        await _stop.CancelAsync().ConfigureAwait(false);
        await _run.ConfigureAwait(false);
        _stop.Dispose();
        ActiveHealthLog.Stopped(_logger, Cluster.Name);
    }

    private async Task CheckEndpointAsync(EndpointState endpoint, TimeSpan firstDelay, CancellationToken cancellationToken)
    {
        var counter = new ActiveHealthCounter(_config.HealthyThreshold, _config.UnhealthyThreshold);
        try
        {
            using var probe = new EndpointHealthProbe(endpoint.Uri, Cluster.ProbeHandler, _config, _time);
            await Task.Delay(firstDelay, _time, cancellationToken).ConfigureAwait(false);
            using var timer = new PeriodicTimer(_config.Interval, _time);
            do
            {
                var result = await probe.CheckAsync(cancellationToken).ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                try
                {
                    Record(endpoint, counter, result);
                }
                catch (Exception ex)
                {
                    // Only logging can fail here; a broken log sink must not end the checks.
                    ActiveHealthLog.LoopError(_logger, Cluster.Name, endpoint.Address, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Checks never throw, so this is a bug; the endpoint keeps the verdict it had.
            ActiveHealthLog.LoopEnded(_logger, Cluster.Name, endpoint.Address, ex);
        }
    }

    private void Record(EndpointState endpoint, ActiveHealthCounter counter, ProbeResult result)
    {
        if (result.Outcome == ProbeOutcome.Abandoned)
        {
            return;
        }

        if (counter.Record(result.Passed))
        {
            endpoint.ActiveHealthy = counter.Healthy;
            if (counter.Healthy)
            {
                ActiveHealthLog.EndpointHealthy(_logger, Cluster.Name, endpoint.Address, counter.ConsecutivePasses);
            }
            else
            {
                ActiveHealthLog.EndpointUnhealthy(_logger, Cluster.Name, endpoint.Address, counter.ConsecutiveFailures, result.Describe());
            }
        }
        else if (!result.Passed && counter.Healthy)
        {
            ActiveHealthLog.CheckFailed(_logger, Cluster.Name, endpoint.Address, counter.ConsecutiveFailures, _config.UnhealthyThreshold, result.Describe());
        }
    }
}
