using Ferry.Grpc.Generator.Parsing;

namespace Ferry.Grpc.Generator;

/// <summary>
/// A source file and its parse result. Compared by reference on purpose: it stands for one file in import
/// graphs and visibility sets, and the incremental pipeline only rebuilds it when its <see cref="ProtoSource"/> changed.
/// </summary>
internal sealed class ParsedProto(ProtoSource source, ProtoParseResult result)
{
    public ProtoSource Source { get; } = source;

    public ProtoParseResult Result { get; } = result;

    /// <summary>The parsed file, or null when it has a syntax error.</summary>
    public ProtoFile? Syntax => Result.File;

    public static ParsedProto Parse(ProtoSource source) => new(source, ProtoParser.Parse(source.Text));
}
