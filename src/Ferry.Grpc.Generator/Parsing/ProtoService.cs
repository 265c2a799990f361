using System.Collections.Immutable;

namespace Ferry.Grpc.Generator.Parsing;

/// <param name="Span">Where the service's name is, for diagnostics about the whole service.</param>
internal sealed record ProtoService(string Name, SourceSpan Span, string? Comment, ImmutableArray<ProtoRpc> Rpcs);

internal sealed record ProtoRpc(
    string Name,
    string? Comment,
    ProtoTypeReference Request,
    bool ClientStreaming,
    ProtoTypeReference Response,
    bool ServerStreaming);

/// <summary>A type name as written (<c>Foo</c>, <c>pkg.Foo</c>, <c>.pkg.Foo</c>) and where, for diagnostics.</summary>
internal sealed record ProtoTypeReference(string Name, SourceSpan Span);
