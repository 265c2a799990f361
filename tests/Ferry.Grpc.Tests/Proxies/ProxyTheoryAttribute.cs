namespace Ferry.Grpc.Tests.Proxies;

/// <summary>A theory through the proxies, skipped (with the packages to install as the reason) when one cannot run here.</summary>
internal sealed class ProxyTheoryAttribute : TheoryAttribute
{
    public ProxyTheoryAttribute()
    {
        Skip = GrpcProxies.UnavailableReason();
    }
}
