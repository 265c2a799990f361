using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Ferry.Grpc.Generator.Tests.Infrastructure;

/// <summary>What one run of the generator produced, and the consumer compilation with its output added.</summary>
internal sealed record GeneratorRun(
    ImmutableArray<Diagnostic> Diagnostics,
    ImmutableDictionary<string, string> Sources,
    Compilation Output)
{
    /// <summary>The source generated under <paramref name="hintName"/>, failing the test when there is none.</summary>
    public string Source(string hintName)
    {
        Assert.True(Sources.TryGetValue(hintName, out string? source), $"No {hintName}; generated: {string.Join(", ", Sources.Keys)}");
        return source;
    }

    /// <summary>Compiler errors of the consumer compilation (stubs plus generated code), formatted for assertion messages.</summary>
    public IReadOnlyList<string> CompileErrors() =>
        Output.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error || d.IsWarningAsError)
            .Select(d => d.ToString())
            .ToList();
}
