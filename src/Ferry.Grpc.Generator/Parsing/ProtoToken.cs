namespace Ferry.Grpc.Generator.Parsing;

internal enum ProtoTokenKind
{
    Identifier,
    Number,
    String,
    Symbol,
    EndOfFile,
}

/// <summary>
/// One token of .proto text. <see cref="Text"/> is the decoded value for string literals and the source text
/// otherwise. <see cref="LeadingComment"/> is the comment block directly above the token, if any.
/// </summary>
internal sealed record ProtoToken(ProtoTokenKind Kind, string Text, SourceSpan Span, string? LeadingComment)
{
    public bool Is(string symbolOrKeyword) =>
        (Kind == ProtoTokenKind.Symbol || Kind == ProtoTokenKind.Identifier) && Text == symbolOrKeyword;

    /// <summary>How the token reads in an error message.</summary>
    public string Describe() => Kind switch
    {
        ProtoTokenKind.EndOfFile => "end of file",
        ProtoTokenKind.String => "string literal",
        _ => "'" + Text + "'",
    };
}
