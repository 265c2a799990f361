namespace Ferry.Grpc.Generator.Resolution;

internal enum ProtoSymbolKind
{
    Package,
    Message,
    Enum,
    Service,
}

/// <summary>
/// A name protoc's lookup can stop at. Fields, enum values and methods are left out: protoc's lookup passes over
/// them when resolving a type, so leaving them out changes no result.
/// </summary>
/// <param name="FullName">The fully qualified proto name, without a leading dot.</param>
/// <param name="CSharpName">The <c>global::</c>-qualified C# type of a message or enum; null otherwise.</param>
internal sealed record ProtoSymbol(string FullName, ProtoSymbolKind Kind, string? CSharpName)
{
    public bool IsType => Kind is ProtoSymbolKind.Message or ProtoSymbolKind.Enum;

    /// <summary>How the kind reads in a diagnostic: "an enum", "a package".</summary>
    public string Article => Kind switch
    {
        ProtoSymbolKind.Enum => "an enum",
        ProtoSymbolKind.Package => "a package",
        ProtoSymbolKind.Service => "a service",
        _ => "a message",
    };
}
