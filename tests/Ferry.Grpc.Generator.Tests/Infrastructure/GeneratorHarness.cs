using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Ferry.Grpc.Generator.Tests.Infrastructure;

/// <summary>
/// Runs <see cref="ServiceGenerator"/> the way the compiler does in a consumer build: protos as AdditionalFiles with
/// the metadata Directory.Build.targets sets, plus C# sources (message stubs) compiled against Ferry.Grpc and
/// Google.Protobuf with warnings as errors.
/// </summary>
internal static class GeneratorHarness
{
    public const string ProjectDirectory = "/consumer";

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    public static GeneratorRun Run(IEnumerable<ProtoInput> protos, params string[] csharpSources)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            "Consumer",
            csharpSources.Select(source => CSharpSyntaxTree.ParseText(source, parseOptions)),
            References.Value,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                generalDiagnosticOption: ReportDiagnostic.Error));

        var inputs = protos.Select(p => Path.IsPathRooted(p.Path) ? p : p with { Path = ProjectDirectory + "/" + p.Path }).ToList();
        var options = new TestOptionsProvider(
            new Dictionary<string, string> { ["build_property.MSBuildProjectDirectory"] = ProjectDirectory },
            inputs.ToDictionary(p => p.Path, p => (IReadOnlyDictionary<string, string>)Metadata(p)));

        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new ServiceGenerator().AsSourceGenerator()],
            inputs.Select(p => (AdditionalText)new InMemoryAdditionalText(p.Path, p.Text)),
            parseOptions,
            options);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var driverDiagnostics);

        var result = driver.GetRunResult().Results.Single();
        Assert.Null(result.Exception);
        return new GeneratorRun(
            driverDiagnostics,
            result.GeneratedSources.ToImmutableDictionary(s => s.HintName, s => s.SourceText.ToString()),
            output);
    }

    public static GeneratorRun Run(params ProtoInput[] protos) => Run(protos, []);

    private static Dictionary<string, string> Metadata(ProtoInput proto)
    {
        const string prefix = "build_metadata.AdditionalFiles.";
        return new Dictionary<string, string>
        {
            [prefix + "FerryProto"] = proto.FerryProto ? "true" : "",
            [prefix + "ProtoRoot"] = proto.ProtoRoot ?? "",
            [prefix + "FerryServices"] = proto.FerryServices ?? "",
            [prefix + "ProtoCompile"] = proto.ProtoCompile ?? "True",
        };
    }

    /// <summary>The running framework's assemblies, Ferry.Grpc and Google.Protobuf: what a consumer compiles against.</summary>
    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string platform = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        return platform.Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System", StringComparison.Ordinal) || Path.GetFileName(path) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(Ferry.Grpc.Method<,>).Assembly.Location)
            .Append(typeof(Google.Protobuf.IMessage).Assembly.Location)
            .Distinct()
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    }
}
