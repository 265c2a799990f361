using System.Collections.Generic;
using Ferry.Grpc.Generator.Emission;
using Ferry.Grpc.Generator.Resolution;
using Microsoft.CodeAnalysis;

namespace Ferry.Grpc.Generator;

/// <summary>
/// Generates Ferry.Grpc service stubs from the project's .proto files, which Directory.Build.targets hands to the
/// compiler as AdditionalFiles marked <c>FerryProto</c>. The message classes come from Grpc.Tools.
/// <code>
/// AdditionalFiles ─▶ ProtoSource (per file, value-equal) ─▶ ParsedProto (re-parsed only when changed)
///                  ─▶ collect all ─▶ ServiceResolver (imports, scoping, diagnostics) ─▶ ServiceEmitter ─▶ one file per service
/// </code>
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ServiceGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var projectDirectory = context.AnalyzerConfigOptionsProvider.Select(static (options, _) =>
            options.GlobalOptions.TryGetValue("build_property.MSBuildProjectDirectory", out string? directory) ? directory : "");

        var files = context.AdditionalTextsProvider
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Select(static (pair, cancellationToken) => ProtoSource.TryCreate(pair.Left, pair.Right.GetOptions(pair.Left), cancellationToken))
            .Where(static source => source is not null)
            .Select(static (source, _) => ParsedProto.Parse(source!))
            .Collect();

        context.RegisterSourceOutput(files.Combine(projectDirectory), static (output, input) =>
        {
            var hintNames = new HashSet<string>(System.StringComparer.OrdinalIgnoreCase);
            foreach (var service in ServiceResolver.Resolve(input.Left, input.Right, output.ReportDiagnostic))
            {
                // Full names are unique after ServiceResolver's duplicate check; hint names also ignore case
                // because they become file names.
                string hintName = service.FullName + ".g.cs";
                for (int i = 2; !hintNames.Add(hintName); i++)
                {
                    hintName = service.FullName + "." + i + ".g.cs";
                }

                output.AddSource(hintName, ServiceEmitter.Emit(service));
            }
        });
    }
}
