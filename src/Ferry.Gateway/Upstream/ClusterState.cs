using System.Net;
using Ferry.Gateway.Config;
using Ferry.Gateway.LoadBalancing;

namespace Ferry.Gateway.Upstream;

/// <summary>
/// A cluster at run time: its endpoints (each with its connection pool), policy and retry budget. Lives across
/// config reloads while its configuration is unchanged; a replaced cluster is disposed once its last call ends.
/// </summary>
internal sealed class ClusterState : IDisposable
{
    private readonly Lazy<HttpMessageHandler> _probeHandler;
    private readonly RetryBudget _retryBudget;
    private int _activeCalls;
    private int _retired;

    public ClusterState(ClusterConfig config, IUpstreamConnector connector, TimeProvider time, Random random)
    {
        Config = config;
        var scheme = config.Tls is null ? "http" : "https";
        Endpoints = config.Endpoints
            .Select(e => new EndpointState(config.Name, e, new Uri($"{scheme}://{e.Address}"), config.Connection, config.Health.Outlier, time, CreatePool(config, e, connector, time)))
            .ToArray();
        Policy = LoadBalancingPolicies.Create(config.LoadBalancing, random);
        _probeHandler = new(() => config.Tls is null
            ? UpstreamHandlerFactory.Create(config, connector, time)
            : new PerEndpointHandler(Endpoints.Select(e => (e.Uri, (HttpMessageHandler)UpstreamHandlerFactory.Create(config, connector, time, PerEndpointHandler.CertificateName(e.Uri))))));
        _retryBudget = new RetryBudget(config.Retry.BudgetPercent, time);
    }

    public ClusterConfig Config { get; }

    public string Name => Config.Name;

    public EndpointState[] Endpoints { get; }

    public ILoadBalancingPolicy Policy { get; }

    /// <summary>
    /// The HTTP client handler active health checks send their probes with: connections of their own, so a probe
    /// measures the endpoint rather than queueing behind forwarded calls.
    /// </summary>
    public HttpMessageHandler ProbeHandler => _probeHandler.Value;

    /// <summary>
    /// Picks an endpoint for a new call among the available ones, skipping <paramref name="exclude"/> (the endpoint a
    /// retry already failed on). Null when none is available.
    /// </summary>
    public EndpointState? PickEndpoint(EndpointState? exclude = null)
    {
        var endpoints = Endpoints;
        var buffer = endpoints.Length <= 64 ? null : new EndpointState[endpoints.Length];
        Span<int> indexes = stackalloc int[Math.Min(endpoints.Length, 64)];
        var count = 0;
        for (var i = 0; i < endpoints.Length; i++)
        {
            if (endpoints[i].IsAvailable && !ReferenceEquals(endpoints[i], exclude))
            {
                if (buffer is null)
                {
                    indexes[count++] = i;
                }
                else
                {
                    buffer[count++] = endpoints[i];
                }
            }
        }

        if (count == 0)
        {
            return null;
        }

        if (buffer is not null)
        {
            return Policy.Pick(buffer.AsSpan(0, count));
        }

        if (count == endpoints.Length)
        {
            return Policy.Pick(endpoints);
        }

        var available = new EndpointState[count];
        for (var i = 0; i < count; i++)
        {
            available[i] = endpoints[indexes[i]];
        }

        return Policy.Pick(available);
    }

    /// <summary>Explains an empty pick: the message a client gets when no endpoint can take its call.</summary>
    public string DescribeUnavailable()
    {
        var unhealthy = Endpoints.Count(e => e.State == HealthState.Unhealthy);
        var ejected = Endpoints.Count(e => e.State == HealthState.Ejected);
        return $"No healthy endpoint in cluster '{Name}': {Endpoints.Length} endpoint(s), {unhealthy} failing health checks, {ejected} backing off after connection failures or errors.";
    }

    private static UpstreamConnectionPool CreatePool(ClusterConfig config, EndpointConfig endpoint, IUpstreamConnector connector, TimeProvider time)
    {
        HostPort.TrySplit(endpoint.Address, out var host, out var port);
        var dialer = new UpstreamDialer(new DnsEndPoint(host, port), connector, config, time);
        var maxConnections = config.Connection.MultipleConnections ? config.Connection.MaxConnections : 1;
        return new UpstreamConnectionPool(dialer, maxConnections, config.Connection.IdleTimeout, time);
    }

    public bool TryAcquireRetry() => _retryBudget.TryAcquire();

    public void OnCallStarted()
    {
        Interlocked.Increment(ref _activeCalls);
        _retryBudget.OnRequest();
    }

    public void OnCallEnded()
    {
        if (Interlocked.Decrement(ref _activeCalls) == 0 && Volatile.Read(ref _retired) == 1)
        {
            DisposeNow();
        }
    }

    /// <summary>Takes the cluster out of service: it is disposed when its last call ends (or now, if idle).</summary>
    public void Retire()
    {
        Volatile.Write(ref _retired, 1);
        if (Volatile.Read(ref _activeCalls) == 0)
        {
            DisposeNow();
        }
    }

    public void Dispose() => Retire();

    private void DisposeNow()
    {
        if (Interlocked.Exchange(ref _retired, 2) == 2)
        {
            return;
        }

        foreach (var endpoint in Endpoints)
        {
            _ = endpoint.Pool.DisposeAsync().AsTask();
        }

        if (_probeHandler.IsValueCreated)
        {
            _probeHandler.Value.Dispose();
        }
    }
}
