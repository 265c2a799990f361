using System;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Ferry.Grpc.Generator;

/// <summary>
/// A .proto file handed to the compiler as an AdditionalFiles item by Directory.Build.targets, with the item
/// metadata that matters here. A record of strings, so the incremental pipeline re-parses only changed files.
/// </summary>
/// <param name="Path">The full path of the file.</param>
/// <param name="Text">The file's contents.</param>
/// <param name="ProtoRoot">The item's <c>ProtoRoot</c> (the import root Grpc.Tools passes to protoc), or empty.</param>
/// <param name="EmitServices">False when the item opts out (<c>FerryServices="None"</c>) or is import-only
/// (<c>ProtoCompile="false"</c>); such files still take part in type resolution.</param>
internal sealed record ProtoSource(string Path, string Text, string ProtoRoot, bool EmitServices)
{
    private const string MetadataPrefix = "build_metadata.AdditionalFiles.";

    /// <summary>The file as a <see cref="ProtoSource"/>, or null when it is not an item marked <c>FerryProto</c>.</summary>
    public static ProtoSource? TryCreate(AdditionalText file, AnalyzerConfigOptions options, CancellationToken cancellationToken)
    {
        if (!IsTrue(options, "FerryProto") || file.GetText(cancellationToken) is not { } text)
        {
            return null;
        }

        bool emitServices = !HasValue(options, "FerryServices", "None") && !HasValue(options, "ProtoCompile", "false");
        options.TryGetValue(MetadataPrefix + "ProtoRoot", out string? protoRoot);
        return new ProtoSource(file.Path, text.ToString(), protoRoot ?? "", emitServices);
    }

    private static bool IsTrue(AnalyzerConfigOptions options, string metadata) => HasValue(options, metadata, "true");

    private static bool HasValue(AnalyzerConfigOptions options, string metadata, string value) =>
        options.TryGetValue(MetadataPrefix + metadata, out string? actual) &&
        string.Equals(actual.Trim(), value, StringComparison.OrdinalIgnoreCase);
}
