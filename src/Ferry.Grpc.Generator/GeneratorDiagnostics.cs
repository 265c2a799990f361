using Microsoft.CodeAnalysis;

namespace Ferry.Grpc.Generator;

internal static class GeneratorDiagnostics
{
    private const string Category = "Ferry.Grpc.Generator";

    public static readonly DiagnosticDescriptor SyntaxError = new(
        "FERRYGEN001",
        "Syntax error in .proto file",
        "Syntax error in '{0}': {1}",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnresolvedType = new(
        "FERRYGEN002",
        "Undefined type in rpc",
        "Type '{0}' used by rpc {1} in '{2}' is not defined in that file or its imports; is the .proto that defines it a Protobuf item of this project?",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NotAMessage = new(
        "FERRYGEN003",
        "Rpc type is not a message",
        "'{0}' used by rpc {1} in '{2}' resolves to {3} '{4}', not a message",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateService = new(
        "FERRYGEN004",
        "Service defined twice",
        "Service '{0}' in '{1}' is already defined in '{2}'; stubs are generated for the first definition only",
        Category,
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);
}
