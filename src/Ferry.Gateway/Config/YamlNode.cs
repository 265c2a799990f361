namespace Ferry.Gateway.Config;

/// <summary>
/// A node of the parsed YAML document with the 1-based line and column where it starts. Built by
/// <see cref="YamlDocumentReader"/> from YamlDotNet parser events so that duplicate keys are reported and
/// collected rather than ending the parse.
/// </summary>
internal abstract class YamlNode(int line, int column)
{
    public int Line { get; } = line;

    public int Column { get; } = column;

    /// <summary>What the node is, for messages: "a string", "a list", "a mapping".</summary>
    public abstract string Kind { get; }
}
