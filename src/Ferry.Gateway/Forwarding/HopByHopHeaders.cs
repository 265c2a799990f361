namespace Ferry.Gateway.Forwarding;

/// <summary>Headers that describe one HTTP hop and must not be copied to the next (RFC 9110 section 7.6.1, RFC 9113 8.2.2).</summary>
internal static class HopByHopHeaders
{
    public static bool IsHopByHop(string name) =>
        name.Equals("connection", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("keep-alive", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("proxy-connection", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("upgrade", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("proxy-authenticate", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("proxy-authorization", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("content-length", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("alt-svc", StringComparison.OrdinalIgnoreCase);
}
