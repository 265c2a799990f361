namespace Ferry.Gateway.Metrics;

/// <summary>
/// An owned copy of one measurement's tags, the key of a series. Built only when a tag set is seen for the first
/// time; every later measurement finds it through a <see cref="TagSpan"/> over the caller's tags, which allocates
/// nothing.
/// </summary>
internal sealed class TagSet
{
    private readonly KeyValuePair<string, object?>[] _tags;

    public TagSet(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        _tags = tags.ToArray();
        HashCode = TagSetComparer.Hash(tags);
    }

    public ReadOnlySpan<KeyValuePair<string, object?>> Tags => _tags;

    public int HashCode { get; }
}
