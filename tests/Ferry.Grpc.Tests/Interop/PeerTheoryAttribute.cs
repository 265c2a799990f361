namespace Ferry.Grpc.Tests.Interop;

/// <summary>
/// A theory over the reference peers, skipped (with the setup step as the reason) when either peer cannot run on
/// this machine; see interop/README.md, "Setup".
/// </summary>
internal sealed class PeerTheoryAttribute : TheoryAttribute
{
    public PeerTheoryAttribute()
    {
        var missing = Enum.GetValues<Peer>().Select(Peers.UnavailableReason).OfType<string>().ToList();
        if (missing.Count > 0)
        {
            Skip = "Interop peers unavailable: " + string.Join(" ", missing);
        }
    }
}
