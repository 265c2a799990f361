namespace Ferry.Gateway.Metrics;

/// <summary>
/// Which meters the Prometheus endpoint exports, and how many series one instrument may hold. Validated when the host
/// starts (every error reported at once).
/// </summary>
public sealed class MetricsOptions
{
    /// <summary>
    /// The default meters:
    /// <list type="bullet">
    /// <item><c>Ferry</c> — the gateway's own meters (<c>Ferry.Gateway</c>, and any other <c>Ferry.*</c>);</item>
    /// <item><c>Microsoft.AspNetCore.Server.Kestrel</c> — connections: <c>kestrel.active_connections</c>,
    /// <c>kestrel.connection.duration</c>, <c>kestrel.rejected_connections</c>, queued connections and requests, TLS
    /// handshakes; measured per connection, not per request;</item>
    /// <item><c>System.Net.Http</c> — the upstream side: open connections per upstream and state, time requests wait
    /// for a connection, request durations;</item>
    /// <item><c>System.Runtime</c> — GC, thread pool, CPU, memory, exceptions; observable, so they cost nothing until
    /// scraped.</item>
    /// </list>
    /// Left out, to add when wanted: <c>Microsoft.AspNetCore.Hosting</c> (<c>http.server.request.duration</c> measures
    /// every request a second time beside the gateway's own call metrics), <c>System.Net.NameResolution</c>,
    /// <c>Microsoft.AspNetCore.Routing</c>, <c>Microsoft.AspNetCore.RateLimiting</c>.
    /// </summary>
    public static IReadOnlyList<string> DefaultMeterPrefixes { get; } =
        ["Ferry", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "System.Runtime"];

    /// <summary>
    /// Meter names to export, by prefix, compared ordinally. A prefix ending in <c>.</c> matches any name that starts
    /// with it; any other prefix matches that exact name and names continuing it after a dot (<c>Ferry</c> matches
    /// <c>Ferry</c> and <c>Ferry.Gateway</c>, not <c>FerryBoat</c>). Starts as <see cref="DefaultMeterPrefixes"/>.
    /// </summary>
    public IList<string> MeterPrefixes { get; set; } = [.. DefaultMeterPrefixes];

    /// <summary>
    /// Most series (distinct tag sets) one instrument keeps, 1 to 100,000; default 2,000, as in OpenTelemetry.
    /// Measurements with further tag sets are added to one series labelled <c>otel_metric_overflow="true"</c>.
    /// </summary>
    public int MaxSeriesPerInstrument { get; set; } = 2000;
}
