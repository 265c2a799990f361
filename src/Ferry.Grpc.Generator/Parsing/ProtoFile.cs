using System.Collections.Immutable;

namespace Ferry.Grpc.Generator.Parsing;

/// <summary>
/// What the generator needs from one .proto file: its package and C# namespace option, its imports, the names
/// of every message and enum it declares (to resolve type references) and its services.
/// </summary>
internal sealed record ProtoFile(
    string Package,
    string? CSharpNamespace,
    ImmutableArray<ProtoImport> Imports,
    ImmutableArray<ProtoTypeDeclaration> Types,
    ImmutableArray<ProtoService> Services);

/// <summary>An <c>import</c> statement; public imports are re-exported to the importer's importers.</summary>
internal sealed record ProtoImport(string Path, bool IsPublic);
