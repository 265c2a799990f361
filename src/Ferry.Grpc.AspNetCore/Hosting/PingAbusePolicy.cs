namespace Ferry.Grpc.AspNetCore.Hosting;

/// <summary>
/// Counts ping strikes as grpc core's <c>Chttp2PingAbusePolicy</c> does: a ping sooner than the allowed interval after
/// the previous one is a strike; the first ping after a reset never is. Not thread-safe: the connection's
/// <see cref="KeepAliveEnforcer"/> serialises calls.
/// </summary>
internal sealed class PingAbusePolicy(ServerKeepAliveOptions options)
{
    /// <summary>
    /// The allowed interval while no call is active and <see cref="ServerKeepAliveOptions.PermitWithoutCalls"/> is false:
    /// RFC 1122's floor for TCP keepalive. A protocol constant of grpc core rather than a tuning knob.
    /// </summary>
    internal static readonly TimeSpan MinPingIntervalWithoutCalls = TimeSpan.FromHours(2);

    private readonly TimeProvider _time = options.TimeProvider;
    private long? _lastPing;

    public int Strikes { get; private set; }

    /// <summary>Records a client PING; true when the strikes now exceed the limit and the client must be sent away.</summary>
    /// <param name="activeCalls">Whether any call (stream) is open on the connection.</param>
    public bool OnPing(bool activeCalls)
    {
        var now = _time.GetTimestamp();
        var interval = activeCalls || options.PermitWithoutCalls ? options.MinPingInterval : MinPingIntervalWithoutCalls;
        var tooSoon = _lastPing is { } last && _time.GetElapsedTime(last, now) < interval;
        _lastPing = now;
        if (!tooSoon)
        {
            return false;
        }

        Strikes++;
        return options.MaxPingStrikes != 0 && Strikes > options.MaxPingStrikes;
    }

    /// <summary>The server sent HEADERS or DATA: the client's pings are keeping a live connection alive.</summary>
    public void Reset()
    {
        _lastPing = null;
        Strikes = 0;
    }
}
