namespace Ferry.Gateway.Config;

internal sealed class YamlScalar(int line, int column, string value, bool isPlain) : YamlNode(line, column)
{
    public string Value { get; } = value;

    /// <summary>Unquoted; only plain scalars can be null, booleans or numbers.</summary>
    public bool IsPlain { get; } = isPlain;

    /// <summary>YAML null: an empty plain scalar, <c>~</c> or <c>null</c>.</summary>
    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string Kind => IsNull ? "null" : "a value";
}
