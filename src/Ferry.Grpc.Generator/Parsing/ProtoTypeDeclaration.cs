namespace Ferry.Grpc.Generator.Parsing;

internal enum ProtoTypeKind
{
    Message,
    Enum,
}

/// <summary>
/// A message (groups included) or enum declared in a file. <see cref="Name"/> is relative to the package,
/// dotted through the enclosing messages: <c>Outer.Inner</c>.
/// </summary>
internal sealed record ProtoTypeDeclaration(string Name, ProtoTypeKind Kind);
