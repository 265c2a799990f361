namespace Ferry.Gateway.Metrics;

/// <summary>
/// Compares tag sets in the order their tags were given: keys ordinally, values with <see cref="object.Equals(object?, object?)"/>
/// (reference equality first, so interned or cached strings compare in one step). Implements the alternate comparer so
/// a <see cref="TagSpan"/> over the caller's tags finds its <see cref="TagSet"/> without allocating.
/// </summary>
internal sealed class TagSetComparer : IEqualityComparer<TagSet>, IAlternateEqualityComparer<TagSpan, TagSet>
{
    public static readonly TagSetComparer Instance = new();

    private TagSetComparer()
    {
    }

    public static int Hash(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var hash = new HashCode();
        foreach (var tag in tags)
        {
            hash.Add(tag.Key);
            hash.Add(tag.Value);
        }

        return hash.ToHashCode();
    }

    public static bool Equal(ReadOnlySpan<KeyValuePair<string, object?>> x, ReadOnlySpan<KeyValuePair<string, object?>> y)
    {
        if (x.Length != y.Length)
        {
            return false;
        }

        for (var i = 0; i < x.Length; i++)
        {
            if (!string.Equals(x[i].Key, y[i].Key, StringComparison.Ordinal) || !Equals(x[i].Value, y[i].Value))
            {
                return false;
            }
        }

        return true;
    }

    public bool Equals(TagSet? x, TagSet? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && x.HashCode == y.HashCode && Equal(x.Tags, y.Tags));

    public int GetHashCode(TagSet obj) => obj.HashCode;

    public bool Equals(TagSpan alternate, TagSet other) => Equal(alternate.Tags, other.Tags);

    public int GetHashCode(TagSpan alternate) => Hash(alternate.Tags);

    public TagSet Create(TagSpan alternate) => new(alternate.Tags);
}
