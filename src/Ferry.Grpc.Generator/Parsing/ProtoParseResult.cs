namespace Ferry.Grpc.Generator.Parsing;

internal sealed record ProtoSyntaxError(string Message, SourceSpan Span);

/// <summary>Either the parsed file or the first syntax error in it.</summary>
internal sealed record ProtoParseResult(ProtoFile? File, ProtoSyntaxError? Error)
{
    public static ProtoParseResult Success(ProtoFile file) => new(file, null);

    public static ProtoParseResult Failure(ProtoSyntaxError error) => new(null, error);
}
