namespace Ferry.Gateway.Config;

/// <summary>
/// One problem found while loading or validating the configuration: where it is (file, 1-based line and column,
/// field path such as <c>clusters[0].endpoints[1]</c>) and what is wrong. Line and column are 0 when unknown, e.g. for a
/// configuration built in code.
/// </summary>
public sealed record ConfigError(string Source, int Line, int Column, string Path, string Message)
{
    /// <summary><c>gateway.yaml:14:7: clusters[0].endpoints[1]: message</c>; parts that are unknown are left out.</summary>
    public override string ToString()
    {
        var builder = new System.Text.StringBuilder();
        if (Source.Length > 0)
        {
            builder.Append(Source);
            if (Line > 0)
            {
                builder.Append(':').Append(Line).Append(':').Append(Column);
            }

            builder.Append(": ");
        }

        if (Path.Length > 0)
        {
            builder.Append(Path).Append(": ");
        }

        return builder.Append(Message).ToString();
    }
}
