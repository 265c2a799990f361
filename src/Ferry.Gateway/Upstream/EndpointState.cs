using Ferry.Gateway.Config;

namespace Ferry.Gateway.Upstream;

/// <summary>
/// One backend endpoint and what the gateway knows about it right now: open streams, latency, health and
/// back-off. Updated lock-free on the call path; read by the load-balancing policies.
/// </summary>
internal sealed class EndpointState
{
    private readonly OutlierConfig? _outlier;
    private readonly ConnectionConfig _connection;
    private readonly TimeProvider _time;
    private int _outstanding;
    private long _ewmaLatencyTicks;
    private long _lastLatencySample;
    private int _consecutiveFailures;
    private int _connectFailures;
    private int _ejections;
    private long _unavailableUntilTicks;
    private volatile bool _activeHealthy = true;

    public EndpointState(string clusterName, EndpointConfig config, Uri uri, ConnectionConfig connection, OutlierConfig? outlier, TimeProvider time, UpstreamConnectionPool pool)
    {
        Pool = pool;
        ClusterName = clusterName;
        Address = config.Address;
        Weight = config.Weight;
        Uri = uri;
        _connection = connection;
        _outlier = outlier;
        _time = time;
    }

    public string ClusterName { get; }

    /// <summary>host:port as configured; also the endpoint label in metrics and logs.</summary>
    public string Address { get; }

    public int Weight { get; }

    /// <summary>The base URI requests to this endpoint are sent to.</summary>
    public Uri Uri { get; }

    /// <summary>The HTTP/2 connections calls to this endpoint are sent on.</summary>
    public UpstreamConnectionPool Pool { get; }

    /// <summary>Calls currently open to this endpoint.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>
    /// Exponentially weighted moving average of call latency (header arrival), in ticks, fading towards zero while
    /// no new samples arrive (half-life <see cref="LatencyHalfLife"/>). Without the fading, an endpoint that once
    /// measured slow (say, its first call paid for the connection) would never be picked again to prove otherwise.
    /// </summary>
    public long EwmaLatencyTicks => EwmaLatencyTicksAt(_time.GetTimestamp());

    public static TimeSpan LatencyHalfLife { get; } = TimeSpan.FromSeconds(5);

    /// <summary>False while active health checks report the endpoint down.</summary>
    public bool ActiveHealthy
    {
        get => _activeHealthy;
        set => _activeHealthy = value;
    }

    public bool IsEjected => Volatile.Read(ref _unavailableUntilTicks) is var until && until != 0 && _time.GetTimestamp() < until;

    /// <summary>Whether new calls may go here: healthy and not backing off or ejected.</summary>
    public bool IsAvailable => _activeHealthy && !IsEjected;

    public HealthState State => !_activeHealthy ? HealthState.Unhealthy : IsEjected ? HealthState.Ejected : HealthState.Healthy;

    public void OnCallStarted() => Interlocked.Increment(ref _outstanding);

    public void OnCallEnded() => Interlocked.Decrement(ref _outstanding);

    /// <summary>Records how long the backend took to answer with headers, for p2c_ewma; <paramref name="now"/> is a timestamp of the endpoint's clock.</summary>
    public void RecordLatency(TimeSpan latency, long now)
    {
        var sample = latency.Ticks;
        var current = EwmaLatencyTicksAt(now);
        var next = current == 0 ? sample : current + ((sample - current) >> 3);
        Volatile.Write(ref _ewmaLatencyTicks, next);
        Volatile.Write(ref _lastLatencySample, now);
    }

    private long EwmaLatencyTicksAt(long now)
    {
        var ewma = Volatile.Read(ref _ewmaLatencyTicks);
        var age = _time.GetElapsedTime(Volatile.Read(ref _lastLatencySample), now);
        return age <= TimeSpan.Zero ? ewma : (long)(ewma * Math.Pow(0.5, age / LatencyHalfLife));
    }

    /// <summary>A call went well: the endpoint's failure streak ends, and so does the growth of its next ejection.</summary>
    public void RecordSuccess()
    {
        if (Volatile.Read(ref _consecutiveFailures) != 0)
        {
            Volatile.Write(ref _consecutiveFailures, 0);
        }

        if (Volatile.Read(ref _ejections) != 0)
        {
            Volatile.Write(ref _ejections, 0);
        }

        if (Volatile.Read(ref _connectFailures) != 0)
        {
            Volatile.Write(ref _connectFailures, 0);
        }
    }

    /// <summary>
    /// A connection could not be made: back off exponentially (with jitter, so endpoints that fail together do not
    /// come back together) before new calls are sent here again.
    /// </summary>
    public void RecordConnectFailure()
    {
        var failures = Interlocked.Increment(ref _connectFailures);
        var backoff = Math.Min(_connection.BackoffInitial.Ticks * (1L << Math.Min(failures - 1, 20)), _connection.BackoffMax.Ticks);
        var jittered = (long)(backoff * (0.8 + (Random.Shared.NextDouble() * 0.4)));
        MarkUnavailableFor(TimeSpan.FromTicks(jittered));
    }

    /// <summary>
    /// A call failed in a way that points at the endpoint; enough of these in a row eject it. Failures while it is out
    /// are of calls sent before (a lost connection fails all of its calls at once): they say nothing new, and counting
    /// them would eject it again and again, doubling the time each time, for one incident.
    /// </summary>
    public void RecordFailure()
    {
        if (_outlier is null || IsEjected)
        {
            return;
        }

        if (Interlocked.Increment(ref _consecutiveFailures) < _outlier.ConsecutiveFailures)
        {
            return;
        }

        Volatile.Write(ref _consecutiveFailures, 0);
        var ejections = Interlocked.Increment(ref _ejections);
        var duration = Math.Min(_outlier.BaseEjection.Ticks * (1L << Math.Min(ejections - 1, 20)), _outlier.MaxEjection.Ticks);
        MarkUnavailableFor(TimeSpan.FromTicks(duration));
    }

    private void MarkUnavailableFor(TimeSpan duration)
    {
        var until = _time.GetTimestamp() + (long)(duration.TotalSeconds * _time.TimestampFrequency);
        Volatile.Write(ref _unavailableUntilTicks, until);
    }
}

internal enum HealthState
{
    Healthy,
    Ejected,
    Unhealthy,
}
