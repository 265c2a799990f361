using Ferry.Gateway.Config;

namespace Ferry.Gateway.Hosting;

/// <summary>Where the gateway answers /metrics itself: on the admin listener when there is one, else on every listener.</summary>
internal static class MetricsEndpoint
{
    public static bool Serves(GatewayConfig config, bool onAdminListener, string method, string path)
    {
        var admin = config.Admin;
        return (onAdminListener || admin?.Address is null) &&
            string.Equals(method, "GET", StringComparison.Ordinal) &&
            string.Equals(path, admin?.MetricsPath ?? "/metrics", StringComparison.Ordinal);
    }
}
