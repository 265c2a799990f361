namespace Ferry.Gateway.Config;

/// <summary>A mapping with scalar keys, in document order, each key once (the reader reports duplicates).</summary>
internal sealed class YamlMapping(int line, int column, IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> entries)
    : YamlNode(line, column)
{
    public IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> Entries { get; } = entries;

    public override string Kind => "a mapping";
}
