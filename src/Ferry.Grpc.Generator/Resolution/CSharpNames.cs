using System.Text;
using Ferry.Grpc.Generator.Parsing;

namespace Ferry.Grpc.Generator.Resolution;

/// <summary>The C# names protoc's C# generator gives to proto declarations, so the stubs find its message classes.</summary>
internal static class CSharpNames
{
    /// <summary>The <c>csharp_namespace</c> option, else the package in PascalCase (<c>my_pkg.v1</c> becomes <c>MyPkg.V1</c>).</summary>
    public static string Namespace(ProtoFile file) => file.CSharpNamespace ?? UnderscoresToPascalCase(file.Package);

    /// <summary>
    /// The <c>global::</c>-qualified class of a message or enum named <paramref name="name"/> relative to its package;
    /// nested types live in the enclosing class's <c>Types</c> class (<c>Outer.Inner</c> is <c>Outer.Types.Inner</c>).
    /// </summary>
    public static string TypeName(string csharpNamespace, string name) =>
        "global::" + (csharpNamespace.Length == 0 ? "" : csharpNamespace + ".") + name.Replace(".", ".Types.");

    /// <summary>
    /// protoc's UnderscoresToCamelCase with the first letter capitalized and periods kept: letters after an
    /// underscore, a digit or a period are upper-cased, other letters kept, underscores dropped.
    /// </summary>
    public static string UnderscoresToPascalCase(string input)
    {
        var result = new StringBuilder(input.Length);
        bool capitalizeNext = true;
        foreach (char c in input)
        {
            if (c is >= 'a' and <= 'z')
            {
                result.Append(capitalizeNext ? char.ToUpperInvariant(c) : c);
                capitalizeNext = false;
            }
            else if (c is >= 'A' and <= 'Z')
            {
                result.Append(c);
                capitalizeNext = false;
            }
            else if (c is >= '0' and <= '9')
            {
                result.Append(c);
                capitalizeNext = true;
            }
            else
            {
                capitalizeNext = true;
                if (c == '.')
                {
                    result.Append(c);
                }
            }
        }

        return result.ToString();
    }
}
