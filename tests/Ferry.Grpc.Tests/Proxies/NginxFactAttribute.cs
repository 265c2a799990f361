namespace Ferry.Grpc.Tests.Proxies;

/// <summary>A test through nginx, skipped (with the package to install as the reason) when nginx cannot run here.</summary>
internal sealed class NginxFactAttribute : FactAttribute
{
    public NginxFactAttribute()
    {
        Skip = NginxProxy.UnavailableReason;
    }
}
