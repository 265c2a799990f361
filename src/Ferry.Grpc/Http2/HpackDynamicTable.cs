namespace Ferry.Grpc.Http2;

/// <summary>
/// An HPACK dynamic table (RFC 7541 section 2.3.2 and 4): a FIFO of fields, newest at index 0, whose size is the sum
/// of name octets + value octets + 32 per entry. The encoder and the decoder each keep one and apply the same
/// eviction rules, which is what keeps their indexes in agreement. Strings are Latin-1, so a string's length is its
/// octet count.
/// </summary>
internal sealed class HpackDynamicTable
{
    public const int EntryOverhead = 32;

    // A ring buffer: the oldest entry sits at _oldest and the newest Count - 1 slots after it.
    private (string Name, string Value)[] _entries = new (string, string)[8];
    private int _oldest;

    public HpackDynamicTable(int maxSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        MaxSize = maxSize;
    }

    public int Count { get; private set; }

    /// <summary>The table's size by RFC 7541 rules, not its memory use.</summary>
    public int Size { get; private set; }

    public int MaxSize { get; private set; }

    /// <summary>The entry at <paramref name="index"/>, 0 being the newest (wire index 62).</summary>
    public (string Name, string Value) this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }

            return _entries[Slot(index)];
        }
    }

    public void SetMaxSize(int maxSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        MaxSize = maxSize;
        EvictUntilSizeAtMost(maxSize);
    }

    /// <summary>Inserts a field, evicting the oldest entries to make room; a field larger than the table empties it and is not stored.</summary>
    public void Add(string name, string value)
    {
        var entrySize = (long)name.Length + value.Length + EntryOverhead;
        if (entrySize > MaxSize)
        {
            EvictUntilSizeAtMost(0);
            return;
        }

        EvictUntilSizeAtMost(MaxSize - (int)entrySize);
        if (Count == _entries.Length)
        {
            Grow();
        }

        var slot = _oldest + Count;
        _entries[slot < _entries.Length ? slot : slot - _entries.Length] = (name, value);
        Count++;
        Size += (int)entrySize;
    }

    /// <summary>The index of an entry with this name and value, or -1.</summary>
    public int IndexOf(string name, string value)
    {
        for (var index = 0; index < Count; index++)
        {
            ref readonly var entry = ref _entries[Slot(index)];
            if (string.Equals(entry.Name, name, StringComparison.Ordinal) && string.Equals(entry.Value, value, StringComparison.Ordinal))
            {
                return index;
            }
        }

        return -1;
    }

    /// <summary>The index of an entry with this name, or -1.</summary>
    public int IndexOfName(string name)
    {
        for (var index = 0; index < Count; index++)
        {
            if (string.Equals(_entries[Slot(index)].Name, name, StringComparison.Ordinal))
            {
                return index;
            }
        }

        return -1;
    }

    private int Slot(int index)
    {
        var slot = _oldest + Count - 1 - index;
        return slot < _entries.Length ? slot : slot - _entries.Length;
    }

    private void EvictUntilSizeAtMost(int size)
    {
        while (Size > size)
        {
            ref var oldest = ref _entries[_oldest];
            Size -= oldest.Name.Length + oldest.Value.Length + EntryOverhead;
            oldest = default; // let the strings be collected
            _oldest = _oldest + 1 == _entries.Length ? 0 : _oldest + 1;
            Count--;
        }
    }

    private void Grow()
    {
        var entries = new (string, string)[_entries.Length * 2];
        for (var index = 0; index < Count; index++)
        {
            entries[Count - 1 - index] = _entries[Slot(index)];
        }

        _entries = entries;
        _oldest = 0;
    }
}
