namespace Ferry.Grpc.Http2;

/// <summary>The HPACK static table (RFC 7541 Appendix A). Indexes are 1-based as on the wire.</summary>
internal static class HpackStaticTable
{
    public const int Count = 61;

    // Slot 0 is unused so that wire indexes need no adjustment.
    private static readonly (string Name, string Value)[] s_entries =
    [
        (string.Empty, string.Empty),
        (":authority", string.Empty),
        (":method", "GET"),
        (":method", "POST"),
        (":path", "/"),
        (":path", "/index.html"),
        (":scheme", "http"),
        (":scheme", "https"),
        (":status", "200"),
        (":status", "204"),
        (":status", "206"),
        (":status", "304"),
        (":status", "400"),
        (":status", "404"),
        (":status", "500"),
        ("accept-charset", string.Empty),
        ("accept-encoding", "gzip, deflate"),
        ("accept-language", string.Empty),
        ("accept-ranges", string.Empty),
        ("accept", string.Empty),
        ("access-control-allow-origin", string.Empty),
        ("age", string.Empty),
        ("allow", string.Empty),
        ("authorization", string.Empty),
        ("cache-control", string.Empty),
        ("content-disposition", string.Empty),
        ("content-encoding", string.Empty),
        ("content-language", string.Empty),
        ("content-length", string.Empty),
        ("content-location", string.Empty),
        ("content-range", string.Empty),
        ("content-type", string.Empty),
        ("cookie", string.Empty),
        ("date", string.Empty),
        ("etag", string.Empty),
        ("expect", string.Empty),
        ("expires", string.Empty),
        ("from", string.Empty),
        ("host", string.Empty),
        ("if-match", string.Empty),
        ("if-modified-since", string.Empty),
        ("if-none-match", string.Empty),
        ("if-range", string.Empty),
        ("if-unmodified-since", string.Empty),
        ("last-modified", string.Empty),
        ("link", string.Empty),
        ("location", string.Empty),
        ("max-forwards", string.Empty),
        ("proxy-authenticate", string.Empty),
        ("proxy-authorization", string.Empty),
        ("range", string.Empty),
        ("referer", string.Empty),
        ("refresh", string.Empty),
        ("retry-after", string.Empty),
        ("server", string.Empty),
        ("set-cookie", string.Empty),
        ("strict-transport-security", string.Empty),
        ("transfer-encoding", string.Empty),
        ("user-agent", string.Empty),
        ("vary", string.Empty),
        ("via", string.Empty),
        ("www-authenticate", string.Empty),
    ];

    /// <summary>The entry at wire index <paramref name="index"/> (1 to <see cref="Count"/>); always the same string instances.</summary>
    public static (string Name, string Value) Get(int index) => s_entries[index];

    /// <summary>
    /// Returns the index of the entry matching both <paramref name="name"/> and <paramref name="value"/>, or 0;
    /// <paramref name="nameIndex"/> receives the first entry with that name, or 0. One call serves both of the
    /// encoder's questions with a single hash lookup.
    /// </summary>
    public static int IndexOf(string name, string value, out int nameIndex)
    {
        nameIndex = FirstIndexOf(name);
        if (nameIndex == 0)
        {
            return 0;
        }

        var entryName = s_entries[nameIndex].Name;
        for (var index = nameIndex; index <= Count && string.Equals(s_entries[index].Name, entryName, StringComparison.Ordinal); index++)
        {
            if (string.Equals(s_entries[index].Value, value, StringComparison.Ordinal))
            {
                return index;
            }
        }

        return 0;
    }

    /// <summary>
    /// The first entry with this name, or 0. Entries sharing a name are adjacent, so full matches are found by scanning
    /// from it. A switch, which compiles to a dispatch on length and characters: this runs for every field encoded,
    /// and a hash lookup cost several times as much.
    /// </summary>
    internal static int FirstIndexOf(string name) => name switch
    {
        ":authority" => 1,
        ":method" => 2,
        ":path" => 4,
        ":scheme" => 6,
        ":status" => 8,
        "accept-charset" => 15,
        "accept-encoding" => 16,
        "accept-language" => 17,
        "accept-ranges" => 18,
        "accept" => 19,
        "access-control-allow-origin" => 20,
        "age" => 21,
        "allow" => 22,
        "authorization" => 23,
        "cache-control" => 24,
        "content-disposition" => 25,
        "content-encoding" => 26,
        "content-language" => 27,
        "content-length" => 28,
        "content-location" => 29,
        "content-range" => 30,
        "content-type" => 31,
        "cookie" => 32,
        "date" => 33,
        "etag" => 34,
        "expect" => 35,
        "expires" => 36,
        "from" => 37,
        "host" => 38,
        "if-match" => 39,
        "if-modified-since" => 40,
        "if-none-match" => 41,
        "if-range" => 42,
        "if-unmodified-since" => 43,
        "last-modified" => 44,
        "link" => 45,
        "location" => 46,
        "max-forwards" => 47,
        "proxy-authenticate" => 48,
        "proxy-authorization" => 49,
        "range" => 50,
        "referer" => 51,
        "refresh" => 52,
        "retry-after" => 53,
        "server" => 54,
        "set-cookie" => 55,
        "strict-transport-security" => 56,
        "transfer-encoding" => 57,
        "user-agent" => 58,
        "vary" => 59,
        "via" => 60,
        "www-authenticate" => 61,
        _ => 0,
    };
}
