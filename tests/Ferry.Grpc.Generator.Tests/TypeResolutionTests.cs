using Ferry.Grpc.Generator.Tests.Infrastructure;

namespace Ferry.Grpc.Generator.Tests;

/// <summary>Type references resolve as protoc resolves them: scopes innermost first, only visible files.</summary>
public sealed class TypeResolutionTests
{
    [Fact]
    public void The_innermost_scope_wins()
    {
        var run = GeneratorHarness.Run(
            [
                new ProtoInput("outer.proto", "package outer; message Msg {}"),
                new ProtoInput(
                    "inner.proto",
                    """
                    package outer.inner;
                    import "outer.proto";
                    message Msg {}
                    service Svc { rpc Call (Msg) returns (outer.Msg); }
                    service Other { rpc Call (Other.Msg) returns (Msg); }
                    """),
            ],
            MessageStubs.For("Outer", "Msg"),
            MessageStubs.For("Outer.Inner", "Msg"));

        // Other.Msg stops at the service Other, which has no Msg: a compound name is decided by the first scope.
        Assert.Equal(
            ["Type 'Other.Msg' used by rpc outer.inner.Other/Call in 'inner.proto' is not defined in that file or its imports; is the .proto that defines it a Protobuf item of this project?"],
            run.Diagnostics.Select(d => d.GetMessage()));
        Assert.Contains("Method<global::Outer.Inner.Msg, global::Outer.Msg> Call", run.Source("outer.inner.Svc.g.cs"));
        Assert.Empty(run.CompileErrors());
    }

    [Fact]
    public void The_first_scope_that_has_the_first_part_decides_a_compound_name()
    {
        // In package x.y, "x" first finds the message x.y.x, so x.Thing means x.y.x.Thing, which does not exist.
        var run = GeneratorHarness.Run(
            new ProtoInput("x.proto", "package x; message Thing {}"),
            new ProtoInput("y.proto", "package x.y; import \"x.proto\"; message x {} service Svc { rpc Call (x.Thing) returns (.x.Thing); }"));

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("FERRYGEN002", diagnostic.Id);
        Assert.StartsWith("Type 'x.Thing' used by rpc x.y.Svc/Call", diagnostic.GetMessage());
    }

    [Fact]
    public void A_simple_name_passes_over_services_and_packages()
    {
        // From p.Item.x.Item.Call, "Item" first meets the service p.Item.x.Item and the package p.Item; neither
        // is a type, so the lookup goes on to the top-level message Item.
        var run = GeneratorHarness.Run(
            [
                new ProtoInput("item.proto", "message Item {}"),
                new ProtoInput("svc.proto", "package p.Item.x; import \"item.proto\"; service Item { rpc Call (Item) returns (Item); }"),
            ],
            MessageStubs.For("", "Item"));

        Assert.Empty(run.Diagnostics);
        Assert.Contains("Method<global::Item, global::Item> Call", run.Source("p.Item.x.Item.g.cs"));
        Assert.Empty(run.CompileErrors());
    }

    [Fact]
    public void Types_of_files_that_are_not_imported_are_not_visible()
    {
        var run = GeneratorHarness.Run(
            new ProtoInput("msg.proto", "package p; message Msg {}"),
            new ProtoInput("other.proto", "package p; message Other {}"),
            new ProtoInput("svc.proto", "package p;\nimport \"other.proto\";\nservice Svc {\n  rpc Call (Msg) returns (Other);\n}"));

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal("FERRYGEN002", diagnostic.Id);
        var position = diagnostic.Location.GetLineSpan();
        Assert.EndsWith("svc.proto", position.Path);
        Assert.Equal((3, 12), (position.StartLinePosition.Line, position.StartLinePosition.Character));
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void Public_imports_are_visible_to_the_importers_importer()
    {
        var run = GeneratorHarness.Run(
            new ProtoInput("msg.proto", "package p; message Msg {}"),
            new ProtoInput("reexport.proto", "package p; import public \"msg.proto\";"),
            new ProtoInput("svc.proto", "package p; import \"reexport.proto\"; service Svc { rpc Call (Msg) returns (Msg); }"));

        Assert.Empty(run.Diagnostics);
        Assert.Single(run.Sources);
    }

    [Fact]
    public void Imports_resolve_under_the_importers_ProtoRoot_first()
    {
        // Both roots hold a common.proto; only the one under the importer's root is imported.
        var run = GeneratorHarness.Run(
            new ProtoInput("a/common.proto", "package shared; message FromA {}", ProtoRoot: "a"),
            new ProtoInput("b/common.proto", "package shared; message FromB {}", ProtoRoot: "b"),
            new ProtoInput("a/svc.proto", "package shared; import \"common.proto\"; service Svc { rpc Ok (FromA) returns (FromA); rpc Bad (FromB) returns (FromA); }", ProtoRoot: "a"));

        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.StartsWith("Type 'FromB' used by rpc shared.Svc/Bad", diagnostic.GetMessage());
    }

    [Fact]
    public void Imports_found_under_no_root_match_the_one_file_with_that_path_ending()
    {
        var run = GeneratorHarness.Run(
            new ProtoInput("vendor/acme/types.proto", "package acme; message Msg {}"),
            new ProtoInput("svc.proto", "package app; import \"acme/types.proto\"; service Svc { rpc Call (acme.Msg) returns (acme.Msg); }"));

        Assert.Empty(run.Diagnostics);
        Assert.Single(run.Sources);
    }

    [Fact]
    public void An_import_of_an_unknown_file_makes_every_file_visible()
    {
        var run = GeneratorHarness.Run(
            new ProtoInput("msg.proto", "package p; message Msg {}"),
            new ProtoInput("svc.proto", "package p; import \"google/protobuf/descriptor.proto\"; service Svc { rpc Call (Msg) returns (Msg); }"));

        Assert.Empty(run.Diagnostics);
        Assert.Single(run.Sources);
    }
}
