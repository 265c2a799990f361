using Ferry.Grpc.Generator.Tests.Infrastructure;

namespace Ferry.Grpc.Generator.Tests;

/// <summary>The repository's own interop protos, as Ferry.Interop compiles them, generate clean stubs.</summary>
public sealed class RepositoryProtoTests
{
    [Fact]
    public void Interop_protos_generate_both_services_without_diagnostics()
    {
        string protoRoot = Path.Combine(RepositoryRoot(), "interop", "protos");
        var protos = Directory.GetFiles(protoRoot, "*.proto")
            .Select(path => new ProtoInput(path, File.ReadAllText(path), ProtoRoot: protoRoot));

        var run = GeneratorHarness.Run(
            protos,
            MessageStubs.For(
                "Grpc.Testing",
                "Empty",
                "SimpleRequest",
                "SimpleResponse",
                "StreamingInputCallRequest",
                "StreamingInputCallResponse",
                "StreamingOutputCallRequest",
                "StreamingOutputCallResponse"));

        Assert.Empty(run.Diagnostics);
        Assert.Equal(["grpc.testing.TestService.g.cs", "grpc.testing.UnimplementedService.g.cs"], run.Sources.Keys.Order());
        Assert.Empty(run.CompileErrors());
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory.FullName, "Ferry.sln")))
        {
            directory = directory.Parent ?? throw new InvalidOperationException("Ferry.sln not found above " + AppContext.BaseDirectory);
        }

        return directory.FullName;
    }
}
