using Ferry.Grpc.Tests.Interop;

namespace Ferry.Grpc.Tests.Proxies;

/// <summary>A theory that runs the reference peers through nginx: skipped when nginx or either peer cannot run here.</summary>
internal sealed class NginxPeerTheoryAttribute : TheoryAttribute
{
    public NginxPeerTheoryAttribute()
    {
        var missing = Enum.GetValues<Peer>().Select(Peers.UnavailableReason).Prepend(NginxProxy.UnavailableReason).OfType<string>().ToList();
        Skip = missing.Count > 0 ? string.Join(" ", missing) : null;
    }
}
