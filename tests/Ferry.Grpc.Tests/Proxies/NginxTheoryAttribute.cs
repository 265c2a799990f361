namespace Ferry.Grpc.Tests.Proxies;

/// <summary>A theory through nginx, skipped (with the package to install as the reason) when nginx cannot run here.</summary>
internal sealed class NginxTheoryAttribute : TheoryAttribute
{
    public NginxTheoryAttribute()
    {
        Skip = NginxProxy.UnavailableReason;
    }
}
