using System.Text;

namespace Ferry.Grpc.Http2;

/// <summary>
/// Turns the octets of a literal name or value into a string, returning a shared instance for the strings gRPC
/// sends on nearly every call so that decoding them allocates nothing. Other octets map one to one onto chars
/// (Latin-1), so any byte sequence round-trips.
/// </summary>
internal static class HpackKnownStrings
{
    private static readonly string[] s_names =
    [
        "te",
        "date",
        "server",
        "user-agent",
        "grpc-status",
        "content-type",
        "grpc-message",
        "grpc-timeout",
        "grpc-encoding",
        "grpc-accept-encoding",
        "grpc-status-details-bin",
    ];

    private static readonly string[] s_values =
    [
        "0",
        "200",
        "gzip",
        "trailers",
        "identity",
        "application/grpc",
        "application/grpc+proto",
        "identity,deflate,gzip",
        "identity,gzip,deflate",
    ];

    public static string GetName(ReadOnlySpan<byte> octets) => Get(octets, s_names);

    public static string GetValue(ReadOnlySpan<byte> octets) => Get(octets, s_values);

    private static string Get(ReadOnlySpan<byte> octets, string[] known)
    {
        foreach (var candidate in known)
        {
            if (candidate.Length == octets.Length && Ascii.Equals(octets, candidate))
            {
                return candidate;
            }
        }

        return Encoding.Latin1.GetString(octets);
    }
}
