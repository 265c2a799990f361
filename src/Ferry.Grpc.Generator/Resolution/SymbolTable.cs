using System.Collections.Generic;
using Ferry.Grpc.Generator.Parsing;

namespace Ferry.Grpc.Generator.Resolution;

/// <summary>
/// Every declared message, enum, service and package of all known files by full name, each remembered with the
/// file that declares it so lookups can be limited to the files visible from the one being resolved.
/// </summary>
internal sealed class SymbolTable
{
    private readonly Dictionary<string, List<(ProtoSymbol Symbol, ParsedProto File)>> _declarations = [];
    private readonly Dictionary<string, List<ParsedProto>> _packages = [];

    public SymbolTable(IEnumerable<ParsedProto> files)
    {
        foreach (var file in files)
        {
            if (file.Syntax is not { } syntax)
            {
                continue;
            }

            string csharpNamespace = CSharpNames.Namespace(syntax);
            foreach (var type in syntax.Types)
            {
                var kind = type.Kind == ProtoTypeKind.Message ? ProtoSymbolKind.Message : ProtoSymbolKind.Enum;
                Declare(new ProtoSymbol(Qualify(syntax.Package, type.Name), kind, CSharpNames.TypeName(csharpNamespace, type.Name)), file);
            }

            foreach (var service in syntax.Services)
            {
                Declare(new ProtoSymbol(Qualify(syntax.Package, service.Name), ProtoSymbolKind.Service, null), file);
            }

            // A package "a.b" also declares the package "a".
            for (string package = syntax.Package; package.Length > 0; package = Parent(package))
            {
                GetOrAdd(_packages, package).Add(file);
            }
        }
    }

    public static string Qualify(string package, string name) => package.Length == 0 ? name : package + "." + name;

    /// <summary>The symbol named exactly <paramref name="fullName"/> that a visible file declares, or null.</summary>
    public ProtoSymbol? Find(string fullName, VisibleFiles visible)
    {
        if (_declarations.TryGetValue(fullName, out var declarations))
        {
            foreach (var (symbol, file) in declarations)
            {
                if (visible.Contains(file))
                {
                    return symbol;
                }
            }
        }

        if (_packages.TryGetValue(fullName, out var files))
        {
            foreach (var file in files)
            {
                if (visible.Contains(file))
                {
                    return new ProtoSymbol(fullName, ProtoSymbolKind.Package, null);
                }
            }
        }

        return null;
    }

    private void Declare(ProtoSymbol symbol, ParsedProto file) => GetOrAdd(_declarations, symbol.FullName).Add((symbol, file));

    private static string Parent(string name)
    {
        int dot = name.LastIndexOf('.');
        return dot < 0 ? "" : name.Substring(0, dot);
    }

    private static List<T> GetOrAdd<T>(Dictionary<string, List<T>> map, string key)
    {
        if (!map.TryGetValue(key, out var list))
        {
            list = [];
            map[key] = list;
        }

        return list;
    }
}
