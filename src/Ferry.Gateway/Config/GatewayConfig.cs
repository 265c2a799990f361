namespace Ferry.Gateway.Config;

/// <summary>
/// One immutable, validated snapshot of the gateway's configuration. A reload builds a new snapshot; calls in
/// flight keep the one they started with.
/// </summary>
public sealed record GatewayConfig
{
    public IReadOnlyList<ListenerConfig> Listeners { get; init; } = [];

    public IReadOnlyList<ClusterConfig> Clusters { get; init; } = [];

    public AdminConfig? Admin { get; init; }

    public AccessLogConfig AccessLog { get; init; } = new();

    /// <summary>Where the snapshot came from (a file path, or "embedded"/"command line"), for messages.</summary>
    public string Source { get; init; } = "";
}

public sealed record ListenerConfig
{
    public required string Name { get; init; }

    /// <summary>IP address and port, e.g. 127.0.0.1:8080 or [::1]:8080.</summary>
    public required string Address { get; init; }

    public ListenerTlsConfig? Tls { get; init; }

    public ListenerLimitsConfig Limits { get; init; } = new();

    /// <summary>Routes in order; the first whose match fits wins.</summary>
    public IReadOnlyList<RouteConfig> Routes { get; init; } = [];
}

public sealed record ListenerTlsConfig
{
    public required string Cert { get; init; }

    public required string Key { get; init; }

    /// <summary>When set, clients must present a certificate from this CA (mutual TLS).</summary>
    public string? ClientCa { get; init; }
}

public sealed record ListenerLimitsConfig
{
    /// <summary>Most open connections on the listener; null for no limit.</summary>
    public long? MaxConnections { get; init; }

    /// <summary>HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS offered to each client connection.</summary>
    public int MaxStreamsPerConnection { get; init; } = 1000;

    /// <summary>Most concurrent calls on the whole listener; null for no limit.</summary>
    public int? MaxConcurrentStreams { get; init; }
}

public sealed record RouteConfig
{
    public required string Name { get; init; }

    public RouteMatchConfig Match { get; init; } = new();

    public required string Cluster { get; init; }

    public RouteTimeoutsConfig Timeouts { get; init; } = new();

    public RouteLimitsConfig Limits { get; init; } = new();

    /// <summary>What the backend sees as :authority: the client's (pass, default) or the endpoint's address.</summary>
    public AuthorityMode Authority { get; init; } = AuthorityMode.Pass;

    /// <summary>Add the client's address as x-forwarded-for (default on).</summary>
    public bool XForwardedFor { get; init; } = true;

    /// <summary>Add an RFC 7239 forwarded header (default off).</summary>
    public bool Forwarded { get; init; }
}

public enum AuthorityMode
{
    Pass,
    Endpoint,
}

/// <summary>All given conditions must hold; an empty match matches every call.</summary>
public sealed record RouteMatchConfig
{
    /// <summary>Exact full method, e.g. /helloworld.Greeter/SayHello.</summary>
    public string? Method { get; init; }

    /// <summary>A service, e.g. helloworld.Greeter (matches /helloworld.Greeter/*).</summary>
    public string? Service { get; init; }

    /// <summary>A path prefix, e.g. /helloworld. (matches every service in the package).</summary>
    public string? Prefix { get; init; }

    /// <summary>The :authority the client called, without or with port; exact, case-insensitive.</summary>
    public string? Authority { get; init; }

    public IReadOnlyList<HeaderMatchConfig> Headers { get; init; } = [];
}

public sealed record HeaderMatchConfig
{
    public required string Name { get; init; }

    /// <summary>Exact value required; null means the header must merely be present.</summary>
    public string? Value { get; init; }
}

public sealed record RouteTimeoutsConfig
{
    /// <summary>Deadline applied when the client sent none; null leaves such calls without one.</summary>
    public TimeSpan? DefaultDeadline { get; init; }

    /// <summary>Longest deadline allowed; a client asking for more gets this.</summary>
    public TimeSpan? MaxDeadline { get; init; }

    /// <summary>End a stream after this long without a message in either direction; null for never.</summary>
    public TimeSpan? Idle { get; init; }

    /// <summary>End a stream after this long whatever happens; null for never.</summary>
    public TimeSpan? MaxStreamLifetime { get; init; }
}

public sealed record RouteLimitsConfig
{
    public RateLimitConfig? Rate { get; init; }

    /// <summary>Most concurrent calls on this route; null for no limit.</summary>
    public int? MaxConcurrentStreams { get; init; }
}

/// <summary>A token bucket: <see cref="TokensPerSecond"/> refill, up to <see cref="Burst"/> calls at once.</summary>
public sealed record RateLimitConfig
{
    public required double TokensPerSecond { get; init; }

    public required int Burst { get; init; }
}

public sealed record ClusterConfig
{
    public required string Name { get; init; }

    /// <summary>weighted_random (default), least_connections, round_robin or p2c_ewma.</summary>
    public string LoadBalancing { get; init; } = "weighted_random";

    public IReadOnlyList<EndpointConfig> Endpoints { get; init; } = [];

    public UpstreamTlsConfig? Tls { get; init; }

    public ConnectionConfig Connection { get; init; } = new();

    public HealthConfig Health { get; init; } = new();

    public RetryConfig Retry { get; init; } = new();
}

public sealed record EndpointConfig
{
    /// <summary>host:port of the backend.</summary>
    public required string Address { get; init; }

    public int Weight { get; init; } = 1;
}

public sealed record UpstreamTlsConfig
{
    /// <summary>CA to trust for backend certificates; null uses the system roots.</summary>
    public string? Ca { get; init; }

    /// <summary>Name backend certificates must carry when it differs from the endpoint host.</summary>
    public string? ServerName { get; init; }

    public string? ClientCert { get; init; }

    public string? ClientKey { get; init; }
}

public sealed record ConnectionConfig
{
    public TimeSpan DialTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>First wait before an endpoint that failed to connect is tried again; doubles up to <see cref="BackoffMax"/>.</summary>
    public TimeSpan BackoffInitial { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// HTTP/2 PING after this long idle; null turns keepalive off. Five minutes: gRPC servers by default punish pings
    /// that come more often (GOAWAY too_many_pings, which drops the connection and its calls).
    /// </summary>
    public TimeSpan? KeepAliveTime { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Open another connection when one reaches the backend's concurrent stream limit.</summary>
    public bool MultipleConnections { get; init; } = true;

    /// <summary>
    /// The most connections to one endpoint (with <see cref="MultipleConnections"/>); calls beyond what they carry wait
    /// for a stream to end. Bounds what a backend advertising a tiny (or zero) stream limit can make the gateway dial.
    /// </summary>
    public int MaxConnections { get; init; } = 32;

    /// <summary>Close an upstream connection idle this long.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Initial HTTP/2 stream window towards backends.</summary>
    public int InitialStreamWindow { get; init; } = 1024 * 1024;

    /// <summary>
    /// How far a response stream's window may grow, from PING-measured bandwidth-delay products, while its client keeps
    /// reading (what one stalled response can hold in the gateway); equal to <see cref="InitialStreamWindow"/> keeps
    /// windows fixed.
    /// </summary>
    public int MaxStreamWindow { get; init; } = 8 * 1024 * 1024;
}

public sealed record HealthConfig
{
    public ActiveHealthConfig? Active { get; init; }

    public OutlierConfig? Outlier { get; init; } = new();
}

public sealed record ActiveHealthConfig
{
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    public int HealthyThreshold { get; init; } = 1;

    public int UnhealthyThreshold { get; init; } = 2;

    /// <summary>Service name sent in the health check request; empty checks the server as a whole.</summary>
    public string Service { get; init; } = "";
}

/// <summary>Passive ejection: an endpoint failing this many calls in a row is taken out for a growing time.</summary>
public sealed record OutlierConfig
{
    public int ConsecutiveFailures { get; init; } = 5;

    public TimeSpan BaseEjection { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxEjection { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>Retries of calls that never reached a backend (e.g. connection refused), on another endpoint.</summary>
public sealed record RetryConfig
{
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Retries allowed as a share of recent calls, so a failing cluster is not flooded.</summary>
    public double BudgetPercent { get; init; } = 20;
}

public sealed record AdminConfig
{
    /// <summary>A separate listener for /metrics and health; null serves them on every gateway listener.</summary>
    public string? Address { get; init; }

    public string MetricsPath { get; init; } = "/metrics";
}

public sealed record AccessLogConfig
{
    public bool Enabled { get; init; } = true;

    /// <summary>text or json.</summary>
    public string Format { get; init; } = "text";
}
