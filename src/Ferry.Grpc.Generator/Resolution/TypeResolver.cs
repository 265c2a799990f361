namespace Ferry.Grpc.Generator.Resolution;

/// <summary>
/// Resolves a type name as protoc does (DescriptorBuilder::LookupSymbol). A name with a leading dot is fully
/// qualified. Otherwise its first part is looked up in the innermost scope, then each enclosing scope; the first
/// scope where that part names a package, message, enum or service decides, and the rest of the name must
/// resolve inside it. So in package <c>a.b</c>, <c>b.Foo</c> means <c>a.b.b.Foo</c> if <c>a.b.b</c> exists,
/// even when that has no <c>Foo</c>.
/// </summary>
internal sealed class TypeResolver(SymbolTable symbols)
{
    /// <summary>The symbol <paramref name="name"/> refers to from inside <paramref name="scope"/>, or null.</summary>
    /// <param name="name">The name as written in the .proto.</param>
    /// <param name="scope">The full name of the referring element, e.g. <c>pkg.Service.Method</c> for an rpc's types.</param>
    /// <param name="visible">The files the referring file can see.</param>
    public ProtoSymbol? Resolve(string name, string scope, VisibleFiles visible)
    {
        if (name.StartsWith(".", System.StringComparison.Ordinal))
        {
            return symbols.Find(name.Substring(1), visible);
        }

        int firstDot = name.IndexOf('.');
        string firstPart = firstDot < 0 ? name : name.Substring(0, firstDot);
        string scopeToTry = scope;
        while (true)
        {
            int lastDot = scopeToTry.LastIndexOf('.');
            if (lastDot < 0)
            {
                return symbols.Find(name, visible);
            }

            scopeToTry = scopeToTry.Substring(0, lastDot);
            var found = symbols.Find(scopeToTry + "." + firstPart, visible);
            if (found is null)
            {
                continue;
            }

            // Every symbol kind in the table is an aggregate, so a compound name is decided by this scope.
            if (firstDot >= 0)
            {
                return symbols.Find(scopeToTry + "." + name, visible);
            }

            // A simple name must name a type; a package or service of that name is passed over.
            if (found.IsType)
            {
                return found;
            }
        }
    }
}
