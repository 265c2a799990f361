using System.Text;

namespace Ferry.Grpc.Generator.Tests.Infrastructure;

/// <summary>
/// Minimal message classes shaped like protoc's C# output (a static <c>Parser</c>, nested types in <c>Types</c>), so
/// generated stubs can be compiled without running protoc.
/// </summary>
internal static class MessageStubs
{
    /// <param name="ns">The C# namespace, empty for the global one.</param>
    /// <param name="messages">Message names relative to the namespace, nested ones dotted: <c>Outer.Inner</c>.</param>
    public static string For(string ns, params string[] messages)
    {
        var text = new StringBuilder();
        if (ns.Length > 0)
        {
            text.Append("namespace ").Append(ns).Append(" {\n");
        }

        foreach (string top in messages.Where(m => !m.Contains('.')))
        {
            Append(text, top, top, messages);
        }

        if (ns.Length > 0)
        {
            text.Append("}\n");
        }

        return text.ToString();
    }

    private static void Append(StringBuilder text, string name, string path, string[] messages)
    {
        text.Append($$"""
            public sealed partial class {{name}} : global::Google.Protobuf.IMessage<{{name}}>
            {
                public static global::Google.Protobuf.MessageParser<{{name}}> Parser { get; } = new(() => new {{name}}());
                public global::Google.Protobuf.Reflection.MessageDescriptor Descriptor => throw new global::System.NotSupportedException();
                public void MergeFrom({{name}} message) { }
                public void MergeFrom(global::Google.Protobuf.CodedInputStream input) { }
                public void WriteTo(global::Google.Protobuf.CodedOutputStream output) { }
                public int CalculateSize() => 0;
                public bool Equals({{name}}? other) => other is not null;
                public {{name}} Clone() => new();

            """);
        string prefix = path + ".";
        var nested = messages.Where(m => m.StartsWith(prefix, StringComparison.Ordinal) && !m[prefix.Length..].Contains('.')).ToList();
        if (nested.Count > 0)
        {
            text.Append("public static partial class Types {\n");
            foreach (string child in nested)
            {
                Append(text, child[prefix.Length..], child, messages);
            }

            text.Append("}\n");
        }

        text.Append("}\n");
    }
}
