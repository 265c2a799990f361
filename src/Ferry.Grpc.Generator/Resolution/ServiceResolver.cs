using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Ferry.Grpc.Generator.Emission;
using Ferry.Grpc.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Ferry.Grpc.Generator.Resolution;

/// <summary>
/// Turns the parsed files of a project into service models: reports syntax errors, resolves every rpc's request
/// and response type against the files visible from the rpc's file, and reports what does not resolve. A service
/// with an unresolved type is skipped, so a broken .proto yields diagnostics rather than code that cannot compile.
/// </summary>
internal static class ServiceResolver
{
    public static ImmutableArray<ServiceModel> Resolve(ImmutableArray<ParsedProto> files, string projectDirectory, Action<Diagnostic> report)
    {
        var imports = new ImportResolver(files, projectDirectory);
        var types = new TypeResolver(new SymbolTable(files.Concat(WellKnownProtos.All)));
        var definedIn = new Dictionary<string, string>(StringComparer.Ordinal);
        var services = ImmutableArray.CreateBuilder<ServiceModel>();
        foreach (var file in files)
        {
            string fileName = System.IO.Path.GetFileName(file.Source.Path);
            if (file.Result.Error is { } error)
            {
                report(Diagnostic.Create(GeneratorDiagnostics.SyntaxError, Locate(file, error.Span), fileName, error.Message));
                continue;
            }

            var syntax = file.Syntax!;
            if (!file.Source.EmitServices || syntax.Services.IsEmpty)
            {
                continue;
            }

            var visible = VisibleFiles.Of(file, imports);
            foreach (var service in syntax.Services)
            {
                string fullName = SymbolTable.Qualify(syntax.Package, service.Name);
                if (definedIn.TryGetValue(fullName, out string? first))
                {
                    report(Diagnostic.Create(GeneratorDiagnostics.DuplicateService, Locate(file, service.Span), fullName, fileName, first));
                    continue;
                }

                definedIn[fullName] = fileName;
                var methods = ImmutableArray.CreateBuilder<MethodModel>();
                foreach (var rpc in service.Rpcs)
                {
                    var context = new RpcContext(file, fileName, fullName + "/" + rpc.Name, fullName + "." + rpc.Name, visible, report);
                    string? request = ResolveMessage(types, rpc.Request, context);
                    string? response = ResolveMessage(types, rpc.Response, context);
                    if (request is not null && response is not null)
                    {
                        methods.Add(new MethodModel(rpc.Name, KindOf(rpc), request, response, rpc.Comment));
                    }
                }

                if (methods.Count == service.Rpcs.Length)
                {
                    services.Add(new ServiceModel(CSharpNames.Namespace(syntax), fileName, fullName, service.Name, service.Comment, methods.ToImmutable()));
                }
            }
        }

        return services.ToImmutable();
    }

    private static string? ResolveMessage(TypeResolver types, ProtoTypeReference reference, RpcContext rpc)
    {
        var symbol = types.Resolve(reference.Name, rpc.Scope, rpc.Visible);
        if (symbol is { Kind: ProtoSymbolKind.Message })
        {
            return symbol.CSharpName;
        }

        var location = Locate(rpc.File, reference.Span);
        rpc.Report(symbol is null
            ? Diagnostic.Create(GeneratorDiagnostics.UnresolvedType, location, reference.Name, rpc.Path, rpc.FileName)
            : Diagnostic.Create(GeneratorDiagnostics.NotAMessage, location, reference.Name, rpc.Path, rpc.FileName, symbol.Article, symbol.FullName));
        return null;
    }

    private static MethodType KindOf(ProtoRpc rpc) => (rpc.ClientStreaming, rpc.ServerStreaming) switch
    {
        (false, false) => MethodType.Unary,
        (true, false) => MethodType.ClientStreaming,
        (false, true) => MethodType.ServerStreaming,
        _ => MethodType.DuplexStreaming,
    };

    private static Location Locate(ParsedProto file, SourceSpan span) =>
        Location.Create(
            file.Source.Path,
            new TextSpan(span.Start, span.Length),
            new LinePositionSpan(new LinePosition(span.Line, span.Column), new LinePosition(span.Line, span.Column + span.Length)));

    /// <param name="Path">The method path, <c>package.Service/Method</c>, that names the rpc in diagnostics.</param>
    /// <param name="Scope">The rpc's full proto name, where type lookup starts.</param>
    private sealed record RpcContext(ParsedProto File, string FileName, string Path, string Scope, VisibleFiles Visible, Action<Diagnostic> Report);
}
