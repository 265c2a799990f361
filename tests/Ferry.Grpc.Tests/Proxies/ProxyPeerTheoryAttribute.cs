using Ferry.Grpc.Tests.Interop;

namespace Ferry.Grpc.Tests.Proxies;

/// <summary>A theory that runs the reference peers through the proxies: skipped when a proxy or a peer cannot run here.</summary>
internal sealed class ProxyPeerTheoryAttribute : TheoryAttribute
{
    public ProxyPeerTheoryAttribute()
    {
        var missing = Enum.GetValues<Peer>().Select(Peers.UnavailableReason).Prepend(GrpcProxies.UnavailableReason()).OfType<string>().ToList();
        Skip = missing.Count > 0 ? string.Join(" ", missing) : null;
    }
}
