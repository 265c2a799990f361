using Ferry.Grpc.Generator.Parsing;

namespace Ferry.Grpc.Generator.Tests;

public sealed class ProtoParserTests
{
    [Fact]
    public void Reads_package_namespace_imports_and_every_declared_type()
    {
        var file = ParseOk("""
            syntax = "proto2";
            package acme.shop_v1;
            import "a.proto";
            import public "b.proto";
            import weak "c.proto";
            option csharp_namespace = "Acme." "Shop";
            option (my.ext).field = { name: "x" nested { a: [1, 2] } };
            option optimize_for = SPEED;

            message Order {
              message Line {
                enum State { NEW = 0; DONE = 1 [deprecated = true]; reserved 5; option allow_alias = true; }
                optional string sku = 1;
              }
              repeated Line lines = 1 [packed = false, (ext.opt) = { a: 1 }];
              map<string, .acme.shop_v1.Order.Line> by_sku = 2;
              oneof choice {
                string note = 3;
                group Gift = 4 { optional string to = 1; }
              }
              optional group Audit = 5 [deprecated = true] { optional int64 at = 1; }
              extensions 100 to max;
              reserved 6, 7 to 9;
              reserved "old";
              extend Other { optional group Extra = 100 { } }
            }
            enum Top { TOP_UNKNOWN = 0; NEGATIVE = -1; }
            extend google.protobuf.MessageOptions { optional string label = 5000; }
            """);

        Assert.Equal("acme.shop_v1", file.Package);
        Assert.Equal("Acme.Shop", file.CSharpNamespace);
        Assert.Equal<ProtoImport>(
            [new ProtoImport("a.proto", false), new ProtoImport("b.proto", true), new ProtoImport("c.proto", false)],
            file.Imports);
        Assert.Equal(
            [
                "Message Order", "Message Order.Line", "Enum Order.Line.State", "Message Order.Gift",
                "Message Order.Audit", "Message Order.Extra", "Enum Top",
            ],
            file.Types.Select(t => $"{t.Kind} {t.Name}"));
    }

    [Fact]
    public void Reads_services_with_streaming_flags_type_references_and_option_blocks()
    {
        var file = ParseOk("""
            syntax = "proto3";
            service Svc {
              option deprecated = true;
              rpc Unary (.pkg.Req) returns (Resp);
              rpc Up(stream Req) returns (Outer.Resp) { option (google.api.http) = { post: "/v1/up" body: "*" }; }
              rpc Down(Req)returns(stream Resp){}
              rpc Both ( stream Req ) returns ( stream Resp ) { ; };
            }
            """);

        var rpcs = Assert.Single(file.Services).Rpcs;
        Assert.Equal(
            ["Unary .pkg.Req>Resp", "Up stream Req>Outer.Resp", "Down Req>stream Resp", "Both stream Req>stream Resp"],
            rpcs.Select(r => $"{r.Name} {(r.ClientStreaming ? "stream " : "")}{r.Request.Name}>{(r.ServerStreaming ? "stream " : "")}{r.Response.Name}"));
        Assert.Equal(new SourceSpan(74, 8, 3, 13), rpcs[0].Request.Span);
    }

    [Fact]
    public void Keeps_leading_comments_and_drops_trailing_and_detached_ones()
    {
        var service = Assert.Single(ParseOk("""
            // Detached: a blank line follows.

            // The service.
            // Second line.
            service Svc {
              rpc A (R) returns (R); // Trailing comment of A, not leading comment of B.
              rpc B (R) returns (R);
              /**
               * Block comment
               * with a margin.
               */
              rpc C (R) returns (R);
              /* one-liner */ rpc D (R) returns (R);
              /// Triple slash.
              rpc E (R) returns (R);
            }
            """).Services);

        Assert.Equal("The service.\nSecond line.", service.Comment);
        Assert.Equal([null, null, "\nBlock comment\nwith a margin.\n", "one-liner", "Triple slash."], service.Rpcs.Select(r => r.Comment));
    }

    [Fact]
    public void Windows_line_endings_read_the_same()
    {
        var file = ParseOk("// The service.\r\n/* More\r\n * text. */\r\nservice Svc {\r\n  rpc A (R) returns (R);\r\n}\r\n");

        var service = Assert.Single(file.Services);
        Assert.Equal("The service.\nMore\ntext.", service.Comment);
        Assert.Equal((4, 9), (service.Rpcs[0].Request.Span.Line, service.Rpcs[0].Request.Span.Column));
    }

    [Fact]
    public void Comment_text_that_looks_like_declarations_is_ignored()
    {
        var file = ParseOk("""
            package p; /* service Fake { rpc X (A) returns (B); } */
            // message Fake {}
            message Real { string s = 1; /* } */ }
            """);

        Assert.Equal(["Real"], file.Types.Select(t => t.Name));
        Assert.Empty(file.Services);
    }

    [Fact]
    public void Decodes_string_escapes()
    {
        var file = ParseOk("""option csharp_namespace = "A\x42\103\u0044\n\"\\";""");

        Assert.Equal("ABCD\n\"\\", file.CSharpNamespace);
    }

    [Theory]
    [InlineData("message M { int32 a = 1 }", 0, 24, "Expected ';' but found '}'.")]
    [InlineData("service S {\n  rpc A (R) (R);\n}", 1, 12, "Expected 'returns' but found '('.")]
    [InlineData("service S { rpc A (R) returns (R) }", 0, 34, "Expected ';' but found '}'.")]
    [InlineData("service S { message M {} }", 0, 12, "Expected 'rpc' or 'option' but found 'message'.")]
    [InlineData("message M {\n  string s = 1;\n", 2, 0, "Expected '}' but found end of file.")]
    [InlineData("package a;\npackage b;", 1, 0, "Multiple package definitions.")]
    [InlineData("syntax = proto3;", 0, 9, "Expected a string literal but found 'proto3'.")]
    [InlineData("import \"a.proto", 0, 7, "Unterminated string literal.")]
    [InlineData("message M {}\n/* never closed", 1, 0, "Unterminated block comment.")]
    [InlineData("message M { int32 a = 1 [x = 1; }", 0, 32, "Expected a matching bracket but found '}'.")]
    [InlineData("message M {} @", 0, 13, "Unexpected character '@'.")]
    [InlineData("message 1 {}", 0, 8, "Expected a message name but found '1'.")]
    [InlineData("option s = \"\\q\";", 0, 12, "Invalid escape sequence in string literal.")]
    public void Reports_the_first_syntax_error_with_its_position(string text, int line, int column, string message)
    {
        var result = ProtoParser.Parse(text);

        Assert.Null(result.File);
        Assert.NotNull(result.Error);
        Assert.Equal(message, result.Error.Message);
        Assert.Equal((line, column), (result.Error.Span.Line, result.Error.Span.Column));
    }

    private static ProtoFile ParseOk(string text)
    {
        var result = ProtoParser.Parse(text);
        Assert.Null(result.Error);
        return result.File!;
    }
}
