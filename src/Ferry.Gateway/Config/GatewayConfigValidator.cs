using System.Net;
using System.Net.Sockets;

namespace Ferry.Gateway.Config;

/// <summary>
/// Checks a <see cref="GatewayConfig"/> as a whole: names unique, references resolve, addresses well formed and
/// not shared, values in range, files present. Every problem is reported, not only the first. Works on a config
/// built in code as well as on one just read, where errors also carry the file's line and column.
/// </summary>
/// <remarks>
/// Paths use the file's snake_case names (<c>listeners[0].routes[1].timeouts.max_deadline</c>) so one error reads
/// the same whether the config came from a file or from code.
/// </remarks>
public static partial class GatewayConfigValidator
{
    internal const int MaxWeight = 1000;

    internal const int MaxRetryAttempts = 10;

    /// <summary>HTTP/2's initial window (RFC 9113 §6.9.2) is the least a stream window may be; 2^31-1 the most.</summary>
    internal const int MinStreamWindow = 65535;

    public static IReadOnlyList<ConfigError> Validate(GatewayConfig config) => Validate(config, warnings: null);

    /// <summary>Also adds warnings (routes that can never match, unused clusters, ...) to <paramref name="warnings"/>.</summary>
    public static IReadOnlyList<ConfigError> Validate(GatewayConfig config, ICollection<string>? warnings)
    {
        ArgumentNullException.ThrowIfNull(config);
        var diagnostics = new ConfigDiagnostics(config.Source);
        Validate(config, diagnostics, LoadBalancingPolicyNames.All);
        if (warnings is not null)
        {
            foreach (var warning in diagnostics.SortedWarnings)
            {
                warnings.Add(warning);
            }
        }

        return diagnostics.SortedErrors;
    }

    /// <summary>
    /// Validates into <paramref name="diagnostics"/>, whose source map locates each error in the file the config
    /// was read from. <paramref name="loadBalancingPolicies"/> are the accepted <c>load_balancing</c> names.
    /// </summary>
    internal static void Validate(GatewayConfig config, ConfigDiagnostics diagnostics, IReadOnlyCollection<string> loadBalancingPolicies)
    {
        var clusterNames = new HashSet<string>(config.Clusters.Select(cluster => cluster.Name), StringComparer.Ordinal);
        var usedClusters = new HashSet<string>(StringComparer.Ordinal);
        var bound = new List<(IPEndPoint EndPoint, string Path)>();

        if (config.Listeners.Count == 0)
        {
            diagnostics.Error("listeners", "at least one listener is required");
        }

        var listenerNames = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < config.Listeners.Count; i++)
        {
            var path = $"listeners[{i}]";
            var listener = config.Listeners[i];
            CheckName(diagnostics, listenerNames, listener.Name, path, "listener");
            CheckListenAddress(diagnostics, bound, listener.Address, $"{path}.address");
            ValidateListener(diagnostics, listener, path, clusterNames, usedClusters);
        }

        var clusterNamesSeen = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < config.Clusters.Count; i++)
        {
            var path = $"clusters[{i}]";
            var cluster = config.Clusters[i];
            CheckName(diagnostics, clusterNamesSeen, cluster.Name, path, "cluster");
            ValidateCluster(diagnostics, cluster, path, loadBalancingPolicies);
            if (cluster.Name.Length > 0 && !usedClusters.Contains(cluster.Name))
            {
                diagnostics.Warning(path, $"cluster '{cluster.Name}' is not used by any route");
            }
        }

        if (config.Admin is { } admin)
        {
            if (admin.Address is not null)
            {
                CheckListenAddress(diagnostics, bound, admin.Address, "admin.address");
            }

            if (!admin.MetricsPath.StartsWith('/'))
            {
                diagnostics.Error("admin.metrics_path", $"'{admin.MetricsPath}' must start with '/', e.g. /metrics");
            }
        }

        if (config.AccessLog.Format is not ("text" or "json"))
        {
            diagnostics.Error("access_log.format", $"'{config.AccessLog.Format}' is not a log format; expected text or json");
        }
    }

    /// <summary>Non-empty and unique among its kind; <paramref name="seen"/> maps names to the path that took them.</summary>
    private static void CheckName(ConfigDiagnostics diagnostics, Dictionary<string, string> seen, string name, string path, string kind)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            diagnostics.Error($"{path}.name", $"a {kind} needs a name");
        }
        else if (!seen.TryAdd(name, path))
        {
            diagnostics.Error($"{path}.name", $"{kind} name '{name}' is already used by {diagnostics.DisplayPath(seen[name])}");
        }
    }

    /// <summary>An IP:port nobody else listens on; port 0 (a free port picked at start) never conflicts.</summary>
    private static void CheckListenAddress(ConfigDiagnostics diagnostics, List<(IPEndPoint EndPoint, string Path)> bound, string address, string path)
    {
        if (!HostPort.TryParseListen(address, out var endPoint))
        {
            diagnostics.Error(path, $"'{address}' is not an IP address and port, e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080 (host names are not allowed here)");
            return;
        }

        if (endPoint.Port != 0)
        {
            foreach (var (other, otherPath) in bound)
            {
                if (other.Port == endPoint.Port && Overlap(other.Address, endPoint.Address))
                {
                    diagnostics.Error(path, $"{address} is already used by {diagnostics.DisplayPath(otherPath)} ({other})");
                    return;
                }
            }
        }

        bound.Add((endPoint, path.EndsWith(".address", StringComparison.Ordinal) ? path[..^".address".Length] : path));
    }

    /// <summary>Whether two addresses on one port collide: the same, or one is a wildcard covering the other
    /// ([::] listens dual-stack, so it covers IPv4 as well).</summary>
    private static bool Overlap(IPAddress a, IPAddress b) =>
        a.Equals(b)
        || a.Equals(IPAddress.IPv6Any) || b.Equals(IPAddress.IPv6Any)
        || (a.AddressFamily == b.AddressFamily && (IsAny(a) || IsAny(b)));

    private static bool IsAny(IPAddress address) =>
        address.Equals(address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any);

    private static void Positive(ConfigDiagnostics diagnostics, string path, TimeSpan? value)
    {
        if (value is { } duration && duration <= TimeSpan.Zero)
        {
            diagnostics.Error(path, $"must be a positive duration, found {GoDuration.Format(duration)}");
        }
    }

    private static void AtLeast(ConfigDiagnostics diagnostics, string path, long? value, long min)
    {
        if (value < min)
        {
            diagnostics.Error(path, $"must be at least {min}, found {value}");
        }
    }

    /// <summary>A file that must exist; relative paths were made absolute against the config file's directory.</summary>
    private static void CheckFile(ConfigDiagnostics diagnostics, string path, string? file, bool required)
    {
        if (string.IsNullOrEmpty(file))
        {
            if (required)
            {
                diagnostics.Error(path, "a file path is required");
            }
        }
        else if (!File.Exists(file))
        {
            diagnostics.Error(path, $"file '{file}' does not exist");
        }
    }
}
