using Ferry.Grpc.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Ferry.Grpc.Generator.Tests;

public sealed class DiagnosticTests
{
    [Fact]
    public void A_syntax_error_is_reported_at_its_line_and_other_files_still_generate()
    {
        var run = GeneratorHarness.Run(
            new ProtoInput("broken.proto", "syntax = \"proto3\";\npackage p;\nservice Broken {\n  rpc Call (Msg) returns Msg;\n}"),
            new ProtoInput("fine.proto", "package q; service Fine { rpc Call (Msg) returns (Msg); } message Msg {}"));

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("FERRYGEN001", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("Syntax error in 'broken.proto': Expected '(' but found 'Msg'.", diagnostic.GetMessage());
        var position = diagnostic.Location.GetLineSpan();
        Assert.Equal(GeneratorHarness.ProjectDirectory + "/broken.proto", position.Path);
        Assert.Equal((3, 25), (position.StartLinePosition.Line, position.StartLinePosition.Character));
        Assert.Equal(["q.Fine.g.cs"], run.Sources.Keys);
    }

    [Fact]
    public void An_rpc_type_that_is_not_a_message_is_reported()
    {
        var run = GeneratorHarness.Run(new ProtoInput("svc.proto", "package p; enum Color { RED = 0; } message Msg {} service Svc { rpc Call (Color) returns (Msg); }"));

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("FERRYGEN003", diagnostic.Id);
        Assert.Equal("'Color' used by rpc p.Svc/Call in 'svc.proto' resolves to an enum 'p.Color', not a message", diagnostic.GetMessage());
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void Only_the_service_with_an_unresolved_type_is_skipped()
    {
        var run = GeneratorHarness.Run(new ProtoInput(
            "svc.proto",
            "package p; message Msg {} service Bad { rpc Call (Missing) returns (Msg); } service Good { rpc Call (Msg) returns (Msg); }"));

        Assert.Equal(["FERRYGEN002"], run.Diagnostics.Select(d => d.Id));
        Assert.Equal(["p.Good.g.cs"], run.Sources.Keys);
    }

    [Fact]
    public void A_service_defined_twice_is_generated_once()
    {
        var run = GeneratorHarness.Run(
            new ProtoInput("one.proto", "package p; message Msg {} service Svc { rpc Call (Msg) returns (Msg); }"),
            new ProtoInput("two.proto", "package p; service Svc { rpc Call (Msg) returns (Msg); }"));

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("FERRYGEN004", diagnostic.Id);
        Assert.Equal("Service 'p.Svc' in 'two.proto' is already defined in 'one.proto'; stubs are generated for the first definition only", diagnostic.GetMessage());
        Assert.Equal(["p.Svc.g.cs"], run.Sources.Keys);
    }
}
