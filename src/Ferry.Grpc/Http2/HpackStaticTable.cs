using System.Collections.Frozen;

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

    // First index of each name; entries sharing a name are adjacent, so full matches are found by scanning from it.
    private static readonly FrozenDictionary<string, int> s_firstIndexByName = BuildNameIndex();

    /// <summary>The entry at wire index <paramref name="index"/> (1 to <see cref="Count"/>); always the same string instances.</summary>
    public static (string Name, string Value) Get(int index) => s_entries[index];

    /// <summary>
    /// Returns the index of the entry matching both <paramref name="name"/> and <paramref name="value"/>, or 0;
    /// <paramref name="nameIndex"/> receives the first entry with that name, or 0. One call serves both of the
    /// encoder's questions with a single hash lookup.
    /// </summary>
    public static int IndexOf(string name, string value, out int nameIndex)
    {
        if (!s_firstIndexByName.TryGetValue(name, out nameIndex))
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

    private static FrozenDictionary<string, int> BuildNameIndex()
    {
        var firstIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var index = Count; index >= 1; index--)
        {
            firstIndex[s_entries[index].Name] = index;
        }

        return firstIndex.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
