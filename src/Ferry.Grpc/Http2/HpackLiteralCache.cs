namespace Ferry.Grpc.Http2;

/// <summary>
/// The last few header values a peer sent as literals without indexing, by their octets on the wire. Some encoders
/// never index a field that repeats on every call (nghttp2 and h2load send :path and content-length that way), so
/// without this each call would Huffman-decode the same octets into a new string; with it a repeat costs one compare.
/// A handful of entries, each of bounded length, replaced least recently used first: a value unique to each call
/// (grpc-timeout) evicts the previous unique value, not the ones that repeat.
/// </summary>
internal sealed class HpackLiteralCache
{
    /// <summary>Longer values are decoded every time: rarely repeated, and they would make the cache large.</summary>
    public const int MaxOctets = 128;

    private const int Capacity = 4;

    private readonly Entry[] _entries = new Entry[Capacity];
    private long _clock;

    public bool TryGet(bool huffman, ReadOnlySpan<byte> octets, out string value)
    {
        foreach (var entry in _entries)
        {
            if (entry is not null && entry.Huffman == huffman && entry.Octets.AsSpan(0, entry.Length).SequenceEqual(octets))
            {
                entry.LastUsed = ++_clock;
                value = entry.Value;
                return true;
            }
        }

        value = "";
        return false;
    }

    public void Add(bool huffman, ReadOnlySpan<byte> octets, string value)
    {
        if (octets.Length > MaxOctets)
        {
            return;
        }

        var victim = 0;
        for (var i = 0; i < _entries.Length; i++)
        {
            if (_entries[i] is null)
            {
                victim = i;
                break;
            }

            if (_entries[i].LastUsed < _entries[victim].LastUsed)
            {
                victim = i;
            }
        }

        var entry = _entries[victim] ??= new Entry();
        octets.CopyTo(entry.Octets);
        entry.Length = octets.Length;
        entry.Huffman = huffman;
        entry.Value = value;
        entry.LastUsed = ++_clock;
    }

    private sealed class Entry
    {
        public readonly byte[] Octets = new byte[MaxOctets];
        public int Length;
        public bool Huffman;
        public string Value = "";
        public long LastUsed;
    }
}
