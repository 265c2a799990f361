namespace Ferry.Grpc.AspNetCore.Hosting;

/// <summary>
/// Server keepalive and gRPC's keepalive enforcement policy (grpc core <c>doc/keepalive.md</c>, gRFC A8). Defaults are
/// grpc core's server defaults. <see cref="Time"/> and <see cref="Timeout"/> are Kestrel limits, server-wide: apply them
/// with <see cref="GrpcKestrelServerOptionsExtensions.ConfigureGrpcKeepAlive"/>. The enforcement policy is per endpoint:
/// pass the options to <see cref="GrpcListenOptionsExtensions.UseGrpc"/>.
/// </summary>
/// <remarks>
/// A client PING that arrives sooner than <see cref="MinPingInterval"/> after the previous one is a strike; while no call
/// is active and <see cref="PermitWithoutCalls"/> is false the interval is two hours instead (RFC 1122's floor for TCP
/// keepalive, as grpc core does). Each HEADERS or DATA frame the server sends clears the strikes. When the strikes
/// exceed <see cref="MaxPingStrikes"/> the server sends GOAWAY <c>ENHANCE_YOUR_CALM</c> with debug data
/// <c>too_many_pings</c> and closes the connection <see cref="GoAwayGracePeriod"/> later.
/// </remarks>
public sealed record ServerKeepAliveOptions
{
    /// <summary>
    /// Send a PING after the connection has been idle this long (Kestrel's <c>KeepAlivePingDelay</c>); at least 1 s,
    /// or <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for none. Default 2 hours.
    /// </summary>
    public TimeSpan Time { get; init; } = TimeSpan.FromHours(2);

    /// <summary>
    /// Close the connection when a server PING is not answered within this time (Kestrel's <c>KeepAlivePingTimeout</c>);
    /// positive, or <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> for no limit. Default 20 s.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The least time a client must leave between PINGs while the server sends no HEADERS or DATA
    /// (grpc core's <c>GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS</c>). Default 5 minutes.
    /// </summary>
    public TimeSpan MinPingInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Let clients ping at <see cref="MinPingInterval"/> while no call is active
    /// (<c>GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS</c>). Default false.
    /// </summary>
    public bool PermitWithoutCalls { get; init; }

    /// <summary>
    /// Bad pings tolerated before GOAWAY <c>too_many_pings</c> (<c>GRPC_ARG_HTTP2_MAX_PING_STRIKES</c>); 0 tolerates any
    /// number, turning enforcement off. Default 2.
    /// </summary>
    public int MaxPingStrikes { get; init; } = 2;

    /// <summary>
    /// How long after deciding to send GOAWAY <c>too_many_pings</c> the connection is closed, giving the frame time to
    /// reach the client. Default 1 s.
    /// </summary>
    public TimeSpan GoAwayGracePeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Clock for the ping intervals and the grace period; replaceable in tests.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Checks every field and reports every error at once, each naming its field.</summary>
    internal void Validate(string? paramName = null)
    {
        var infinite = System.Threading.Timeout.InfiniteTimeSpan;
        var errors = new List<string>();
        Require(Time == infinite || Time >= TimeSpan.FromSeconds(1), nameof(Time), $"must be at least 1 s or infinite (was {Time})");
        Require(Timeout == infinite || Timeout > TimeSpan.Zero, nameof(Timeout), $"must be positive or infinite (was {Timeout})");
        Require(MinPingInterval >= TimeSpan.Zero, nameof(MinPingInterval), $"must not be negative (was {MinPingInterval})");
        Require(MaxPingStrikes >= 0, nameof(MaxPingStrikes), $"must not be negative (was {MaxPingStrikes})");
        Require(GoAwayGracePeriod >= TimeSpan.Zero && GoAwayGracePeriod != infinite, nameof(GoAwayGracePeriod), $"must be zero or positive and finite (was {GoAwayGracePeriod})");
        Require(TimeProvider is not null, nameof(TimeProvider), "must be set");
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), paramName);
        }

        void Require(bool condition, string field, string what)
        {
            if (!condition)
            {
                errors.Add($"{nameof(ServerKeepAliveOptions)}.{field} {what}.");
            }
        }
    }
}
