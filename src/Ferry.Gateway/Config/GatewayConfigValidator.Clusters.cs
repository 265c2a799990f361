namespace Ferry.Gateway.Config;

public static partial class GatewayConfigValidator
{
    private static void ValidateCluster(
        ConfigDiagnostics diagnostics, ClusterConfig cluster, string path, IReadOnlyCollection<string> loadBalancingPolicies)
    {
        if (!loadBalancingPolicies.Contains(cluster.LoadBalancing, StringComparer.Ordinal))
        {
            diagnostics.Error(
                $"{path}.load_balancing",
                $"unknown policy '{cluster.LoadBalancing}'{KeySuggester.Hint(cluster.LoadBalancing, loadBalancingPolicies)}; expected one of {string.Join(", ", loadBalancingPolicies)}");
        }

        ValidateEndpoints(diagnostics, cluster.Endpoints, $"{path}.endpoints");

        if (cluster.Tls is { } tls)
        {
            CheckFile(diagnostics, $"{path}.tls.ca", tls.Ca, required: false);
            if (tls.ServerName is { } serverName && string.IsNullOrWhiteSpace(serverName))
            {
                diagnostics.Error($"{path}.tls.server_name", "must not be empty; leave it out to use the endpoint's host");
            }

            if ((tls.ClientCert is null) != (tls.ClientKey is null))
            {
                diagnostics.Error($"{path}.tls.{(tls.ClientCert is null ? "client_cert" : "client_key")}", "client_cert and client_key go together: give both or neither");
            }

            CheckFile(diagnostics, $"{path}.tls.client_cert", tls.ClientCert, required: false);
            CheckFile(diagnostics, $"{path}.tls.client_key", tls.ClientKey, required: false);
        }

        var connection = cluster.Connection;
        var at = $"{path}.connection";
        Positive(diagnostics, $"{at}.dial_timeout", connection.DialTimeout);
        Positive(diagnostics, $"{at}.backoff_initial", connection.BackoffInitial);
        Positive(diagnostics, $"{at}.backoff_max", connection.BackoffMax);
        if (connection.BackoffInitial > connection.BackoffMax)
        {
            diagnostics.Error(
                $"{at}.backoff_initial",
                $"backoff_initial ({GoDuration.Format(connection.BackoffInitial)}) is longer than backoff_max ({GoDuration.Format(connection.BackoffMax)})");
        }

        Positive(diagnostics, $"{at}.keepalive_time", connection.KeepAliveTime);
        Positive(diagnostics, $"{at}.keepalive_timeout", connection.KeepAliveTimeout);
        Positive(diagnostics, $"{at}.idle_timeout", connection.IdleTimeout);
        AtLeast(diagnostics, $"{at}.initial_stream_window", connection.InitialStreamWindow, MinStreamWindow);
        if (connection.MaxStreamWindow < connection.InitialStreamWindow)
        {
            diagnostics.Error(
                $"{at}.max_stream_window",
                $"max_stream_window ({connection.MaxStreamWindow}) is smaller than initial_stream_window ({connection.InitialStreamWindow})");
        }

        AtLeast(diagnostics, $"{at}.max_connections", connection.MaxConnections, 1);

        if (cluster.Health.Active is { } active)
        {
            at = $"{path}.health.active";
            Positive(diagnostics, $"{at}.interval", active.Interval);
            Positive(diagnostics, $"{at}.timeout", active.Timeout);
            if (active.Timeout >= active.Interval && active.Interval > TimeSpan.Zero)
            {
                diagnostics.Error(
                    $"{at}.timeout",
                    $"timeout ({GoDuration.Format(active.Timeout)}) must be shorter than interval ({GoDuration.Format(active.Interval)})");
            }

            AtLeast(diagnostics, $"{at}.healthy_threshold", active.HealthyThreshold, 1);
            AtLeast(diagnostics, $"{at}.unhealthy_threshold", active.UnhealthyThreshold, 1);
        }

        if (cluster.Health.Outlier is { } outlier)
        {
            at = $"{path}.health.outlier";
            AtLeast(diagnostics, $"{at}.consecutive_failures", outlier.ConsecutiveFailures, 1);
            Positive(diagnostics, $"{at}.base_ejection", outlier.BaseEjection);
            if (outlier.MaxEjection < outlier.BaseEjection)
            {
                diagnostics.Error(
                    $"{at}.max_ejection",
                    $"max_ejection ({GoDuration.Format(outlier.MaxEjection)}) is shorter than base_ejection ({GoDuration.Format(outlier.BaseEjection)})");
            }
        }

        if (cluster.Retry.MaxAttempts is < 1 or > MaxRetryAttempts)
        {
            diagnostics.Error($"{path}.retry.max_attempts", $"must be from 1 to {MaxRetryAttempts}, found {cluster.Retry.MaxAttempts}");
        }

        if (!(cluster.Retry.BudgetPercent is >= 0 and <= 100))
        {
            diagnostics.Error($"{path}.retry.budget_percent", $"must be from 0 to 100, found {cluster.Retry.BudgetPercent}");
        }
    }

    private static void ValidateEndpoints(ConfigDiagnostics diagnostics, IReadOnlyList<EndpointConfig> endpoints, string path)
    {
        if (endpoints.Count == 0)
        {
            diagnostics.Error(path, "a cluster needs at least one endpoint");
        }

        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < endpoints.Count; i++)
        {
            var endpoint = endpoints[i];
            var at = $"{path}[{i}]";
            if (!HostPort.IsEndpoint(endpoint.Address))
            {
                diagnostics.Error($"{at}.address", $"'{endpoint.Address}' is not host:port (a host name or IP address, IPv6 in brackets, and a port 1-65535)");
            }
            else if (!seen.TryAdd(endpoint.Address, i))
            {
                diagnostics.Error($"{at}.address", $"{endpoint.Address} is already listed as {diagnostics.DisplayPath($"{path}[{seen[endpoint.Address]}]")}; give it one entry with the combined weight");
            }

            if (endpoint.Weight is < 1 or > MaxWeight)
            {
                diagnostics.Error($"{at}.weight", $"weight must be from 1 to {MaxWeight}, found {endpoint.Weight}");
            }
        }
    }
}
