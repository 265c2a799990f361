using System.Collections.Immutable;

namespace Ferry.Grpc.Generator.Parsing;

/// <summary>
/// A recursive-descent parser for proto2, proto3 and editions files. It keeps what stub generation needs
/// (package, <c>csharp_namespace</c>, imports, declared message and enum names, services) and checks the shape of
/// everything else, so a malformed file is reported here rather than as a confusing resolution error later.
/// Like protoc it stops at the first error.
/// </summary>
internal sealed class ProtoParser
{
    private readonly ImmutableArray<ProtoToken> _tokens;
    private readonly ImmutableArray<ProtoImport>.Builder _imports = ImmutableArray.CreateBuilder<ProtoImport>();
    private readonly ImmutableArray<ProtoTypeDeclaration>.Builder _types = ImmutableArray.CreateBuilder<ProtoTypeDeclaration>();
    private readonly ImmutableArray<ProtoService>.Builder _services = ImmutableArray.CreateBuilder<ProtoService>();
    private int _index;
    private string? _package;
    private string? _csharpNamespace;

    private ProtoParser(ImmutableArray<ProtoToken> tokens) => _tokens = tokens;

    public static ProtoParseResult Parse(string text)
    {
        try
        {
            return ProtoParseResult.Success(new ProtoParser(ProtoLexer.Tokenize(text)).ParseFile());
        }
        catch (ProtoSyntaxException e)
        {
            return ProtoParseResult.Failure(new ProtoSyntaxError(e.Message, e.Span));
        }
    }

    private ProtoToken Current => _tokens[_index];

    private ProtoToken PeekAhead(int ahead) => _tokens[System.Math.Min(_index + ahead, _tokens.Length - 1)];

    private ProtoToken Next()
    {
        var token = Current;
        if (token.Kind != ProtoTokenKind.EndOfFile)
        {
            _index++;
        }

        return token;
    }

    private ProtoFile ParseFile()
    {
        while (Current.Kind != ProtoTokenKind.EndOfFile)
        {
            if (TryConsume(";"))
            {
                continue;
            }

            switch (Current.Kind == ProtoTokenKind.Identifier ? Current.Text : "")
            {
                case "syntax":
                case "edition":
                    Next();
                    Expect("=");
                    ReadString();
                    Expect(";");
                    break;
                case "package":
                    if (_package is not null)
                    {
                        throw new ProtoSyntaxException("Multiple package definitions.", Current.Span);
                    }

                    Next();
                    _package = ReadDottedName();
                    Expect(";");
                    break;
                case "import":
                    Next();
                    bool isPublic = TryConsume("public");
                    if (!isPublic)
                    {
                        TryConsume("weak");
                    }

                    _imports.Add(new ProtoImport(ReadString(), isPublic));
                    Expect(";");
                    break;
                case "option":
                    ParseFileOption();
                    break;
                case "message":
                    ParseMessage("");
                    break;
                case "enum":
                    ParseEnum("");
                    break;
                case "extend":
                    ParseExtend("");
                    break;
                case "service":
                    ParseService();
                    break;
                default:
                    throw Unexpected(Current, "a top-level definition");
            }
        }

        return new ProtoFile(_package ?? "", _csharpNamespace, _imports.ToImmutable(), _types.ToImmutable(), _services.ToImmutable());
    }

    private void ParseFileOption()
    {
        Next();
        bool isCSharpNamespace = Current.Is("csharp_namespace") && PeekAhead(1).Is("=");
        ReadOptionName();
        Expect("=");
        if (isCSharpNamespace)
        {
            _csharpNamespace = ReadString();
        }
        else
        {
            SkipOptionValue();
        }

        Expect(";");
    }

    private void ParseMessage(string scope)
    {
        Next();
        string name = Qualify(scope, ExpectIdentifier("a message name"));
        _types.Add(new ProtoTypeDeclaration(name, ProtoTypeKind.Message));
        ParseMessageBody(name);
    }

    private void ParseMessageBody(string scope)
    {
        Expect("{");
        while (!AtBlockEnd())
        {
            if (TryConsume(";"))
            {
                continue;
            }

            switch (Current.Kind == ProtoTokenKind.Identifier ? Current.Text : "")
            {
                case "message":
                    ParseMessage(scope);
                    break;
                case "enum":
                    ParseEnum(scope);
                    break;
                case "extend":
                    ParseExtend(scope);
                    break;
                case "oneof":
                    ParseOneof(scope);
                    break;
                case "option":
                case "reserved":
                case "extensions":
                    SkipStatement();
                    break;
                default:
                    ParseField(scope);
                    break;
            }
        }
    }

    private void ParseOneof(string scope)
    {
        Next();
        ExpectIdentifier("a oneof name");
        Expect("{");
        while (!AtBlockEnd())
        {
            if (TryConsume(";"))
            {
                continue;
            }

            if (Current.Is("option"))
            {
                SkipStatement();
            }
            else
            {
                ParseField(scope);
            }
        }
    }

    private void ParseExtend(string scope)
    {
        Next();
        ReadTypeReference();
        Expect("{");
        while (!AtBlockEnd())
        {
            if (!TryConsume(";"))
            {
                ParseField(scope);
            }
        }
    }

    /// <summary>
    /// <c>[label] type name = number [options];</c>, a <c>map&lt;K, V&gt;</c> field, or a proto2 group, which also
    /// declares a nested message named after the group.
    /// </summary>
    private void ParseField(string scope)
    {
        if (Current.Is("optional") || Current.Is("required") || Current.Is("repeated"))
        {
            Next();
        }

        if (Current.Is("group") && PeekAhead(1).Kind == ProtoTokenKind.Identifier && PeekAhead(2).Is("="))
        {
            Next();
            string name = Qualify(scope, Next().Text);
            _types.Add(new ProtoTypeDeclaration(name, ProtoTypeKind.Message));
            Expect("=");
            ExpectNumber("a field number");
            SkipOptionalBrackets();
            ParseMessageBody(name);
            return;
        }

        if (Current.Is("map") && PeekAhead(1).Is("<"))
        {
            Next();
            Next();
            ReadTypeReference();
            Expect(",");
            ReadTypeReference();
            Expect(">");
        }
        else
        {
            ReadTypeReference();
        }

        ExpectIdentifier("a field name");
        Expect("=");
        ExpectNumber("a field number");
        SkipOptionalBrackets();
        Expect(";");
    }

    private void ParseEnum(string scope)
    {
        Next();
        _types.Add(new ProtoTypeDeclaration(Qualify(scope, ExpectIdentifier("an enum name")), ProtoTypeKind.Enum));
        Expect("{");
        while (!AtBlockEnd())
        {
            if (TryConsume(";"))
            {
                continue;
            }

            if (Current.Is("option") || Current.Is("reserved"))
            {
                SkipStatement();
                continue;
            }

            ExpectIdentifier("an enum value name");
            Expect("=");
            TryConsume("-");
            ExpectNumber("an enum value number");
            SkipOptionalBrackets();
            Expect(";");
        }
    }

    private void ParseService()
    {
        var keyword = Next();
        var nameSpan = Current.Span;
        string name = ExpectIdentifier("a service name");
        var rpcs = ImmutableArray.CreateBuilder<ProtoRpc>();
        Expect("{");
        while (!AtBlockEnd())
        {
            if (TryConsume(";"))
            {
                continue;
            }

            if (Current.Is("option"))
            {
                SkipStatement();
            }
            else if (Current.Is("rpc"))
            {
                rpcs.Add(ParseRpc());
            }
            else
            {
                throw Unexpected(Current, "'rpc' or 'option'");
            }
        }

        _services.Add(new ProtoService(name, nameSpan, keyword.LeadingComment, rpcs.ToImmutable()));
    }

    private ProtoRpc ParseRpc()
    {
        var keyword = Next();
        string name = ExpectIdentifier("a method name");
        Expect("(");
        bool clientStreaming = TryConsumeStream();
        var request = ReadTypeReference();
        Expect(")");
        Expect("returns");
        Expect("(");
        bool serverStreaming = TryConsumeStream();
        var response = ReadTypeReference();
        Expect(")");
        if (TryConsume("{"))
        {
            while (!AtBlockEnd())
            {
                if (TryConsume(";"))
                {
                    continue;
                }

                if (!Current.Is("option"))
                {
                    throw Unexpected(Current, "'option' or '}'");
                }

                SkipStatement();
            }
        }
        else
        {
            Expect(";");
        }

        return new ProtoRpc(name, keyword.LeadingComment, request, clientStreaming, response, serverStreaming);
    }

    /// <summary>Like protoc, <c>stream</c> right after the parenthesis is always the keyword.</summary>
    private bool TryConsumeStream() => TryConsume("stream");

    private ProtoTypeReference ReadTypeReference()
    {
        var first = Current;
        bool absolute = TryConsume(".");
        string name = ReadDottedName();
        var last = _tokens[_index - 1];
        var span = new SourceSpan(first.Span.Start, last.Span.Start + last.Span.Length - first.Span.Start, first.Span.Line, first.Span.Column);
        return new ProtoTypeReference(absolute ? "." + name : name, span);
    }

    private string ReadDottedName()
    {
        string name = ExpectIdentifier("a name");
        while (TryConsume("."))
        {
            name += "." + ExpectIdentifier("a name");
        }

        return name;
    }

    /// <summary>An option name: <c>deprecated</c>, <c>(my.ext)</c>, <c>(my.ext).field</c>.</summary>
    private void ReadOptionName()
    {
        do
        {
            if (TryConsume("("))
            {
                TryConsume(".");
                ReadDottedName();
                Expect(")");
            }
            else
            {
                ExpectIdentifier("an option name");
            }
        }
        while (TryConsume("."));
    }

    private void SkipOptionValue()
    {
        if (Current.Is("{"))
        {
            SkipBalanced();
        }
        else if (Current.Kind == ProtoTokenKind.String)
        {
            ReadString();
        }
        else
        {
            if (!TryConsume("-"))
            {
                TryConsume("+");
            }

            if (Current.Kind != ProtoTokenKind.Identifier && Current.Kind != ProtoTokenKind.Number)
            {
                throw Unexpected(Current, "an option value");
            }

            Next();
        }
    }

    /// <summary>Skips a statement whose content the generator does not need, up to and including its ';'.</summary>
    private void SkipStatement()
    {
        while (!TryConsume(";"))
        {
            if (Current.Is("{") || Current.Is("[") || Current.Is("("))
            {
                SkipBalanced();
            }
            else if (Current.Kind == ProtoTokenKind.EndOfFile || Current.Is("}") || Current.Is("]") || Current.Is(")"))
            {
                throw Unexpected(Current, "';'");
            }
            else
            {
                Next();
            }
        }
    }

    private void SkipOptionalBrackets()
    {
        if (Current.Is("["))
        {
            SkipBalanced();
        }
    }

    /// <summary>Skips from an opening bracket to its matching closing bracket (option lists, aggregate values).</summary>
    private void SkipBalanced()
    {
        var closers = new System.Collections.Generic.Stack<string>();
        do
        {
            var token = Next();
            switch (token.Kind == ProtoTokenKind.Symbol ? token.Text : "")
            {
                case "{":
                    closers.Push("}");
                    break;
                case "[":
                    closers.Push("]");
                    break;
                case "(":
                    closers.Push(")");
                    break;
                case "}":
                case "]":
                case ")":
                    if (closers.Pop() != token.Text)
                    {
                        throw Unexpected(token, "a matching bracket");
                    }

                    break;
                default:
                    if (token.Kind == ProtoTokenKind.EndOfFile)
                    {
                        throw Unexpected(token, "'" + closers.Peek() + "'");
                    }

                    break;
            }
        }
        while (closers.Count > 0);
    }

    /// <summary>Reads a string constant; adjacent literals concatenate as in C.</summary>
    private string ReadString()
    {
        if (Current.Kind != ProtoTokenKind.String)
        {
            throw Unexpected(Current, "a string literal");
        }

        string value = "";
        while (Current.Kind == ProtoTokenKind.String)
        {
            value += Next().Text;
        }

        return value;
    }

    private string ExpectIdentifier(string what)
    {
        if (Current.Kind != ProtoTokenKind.Identifier)
        {
            throw Unexpected(Current, what);
        }

        return Next().Text;
    }

    private void ExpectNumber(string what)
    {
        if (Current.Kind != ProtoTokenKind.Number)
        {
            throw Unexpected(Current, what);
        }

        Next();
    }

    private void Expect(string symbolOrKeyword)
    {
        if (!TryConsume(symbolOrKeyword))
        {
            throw Unexpected(Current, "'" + symbolOrKeyword + "'");
        }
    }

    /// <summary>Consumes the '}' closing a block; a file that ends inside the block is an error.</summary>
    private bool AtBlockEnd()
    {
        if (Current.Kind == ProtoTokenKind.EndOfFile)
        {
            throw Unexpected(Current, "'}'");
        }

        return TryConsume("}");
    }

    private bool TryConsume(string symbolOrKeyword)
    {
        if (!Current.Is(symbolOrKeyword))
        {
            return false;
        }

        Next();
        return true;
    }

    private static string Qualify(string scope, string name) => scope.Length == 0 ? name : scope + "." + name;

    private static ProtoSyntaxException Unexpected(ProtoToken token, string expected) =>
        new($"Expected {expected} but found {token.Describe()}.", token.Span);
}
