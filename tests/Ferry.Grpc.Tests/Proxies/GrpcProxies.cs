namespace Ferry.Grpc.Tests.Proxies;

/// <summary>Starts any of the <see cref="ProxyKind"/>s with its defaults for a <see cref="ProxySite"/>.</summary>
internal static class GrpcProxies
{
    public static async Task<IGrpcProxy> StartAsync(ProxyKind kind, ProxySite site) => kind switch
    {
        ProxyKind.Nginx => await NginxProxy.StartAsync(new NginxSite { UpstreamPort = site.UpstreamPort, ListenerTls = site.ListenerTls, UpstreamTls = site.UpstreamTls }),
        ProxyKind.Haproxy => await HaproxyProxy.StartAsync(site),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Why one of the proxies cannot run here (with the packages that fix it), or null when all can.</summary>
    public static string? UnavailableReason()
    {
        var missing = new[] { NginxProxy.UnavailableReason, HaproxyProxy.UnavailableReason }.OfType<string>().ToList();
        return missing.Count > 0 ? string.Join(" ", missing) : null;
    }
}
