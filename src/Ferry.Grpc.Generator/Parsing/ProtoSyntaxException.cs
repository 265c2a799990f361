using System;

namespace Ferry.Grpc.Generator.Parsing;

/// <summary>
/// Unwinds the recursive-descent parser at the first error. It never leaves <see cref="ProtoParser.Parse"/>,
/// which turns it into a <see cref="ProtoSyntaxError"/> value.
/// </summary>
internal sealed class ProtoSyntaxException(string message, SourceSpan span) : Exception(message)
{
    public SourceSpan Span { get; } = span;
}
