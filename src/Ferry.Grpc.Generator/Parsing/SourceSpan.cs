namespace Ferry.Grpc.Generator.Parsing;

/// <summary>Where a piece of .proto text is: character offset and length, and its zero-based line and column.</summary>
internal readonly record struct SourceSpan(int Start, int Length, int Line, int Column);
