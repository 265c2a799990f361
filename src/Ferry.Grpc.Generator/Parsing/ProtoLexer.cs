using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Ferry.Grpc.Generator.Parsing;

/// <summary>
/// Splits .proto text into tokens. Comments are not tokens: as in protoc, a comment block that ends on the line
/// right above a token (no blank line between) becomes that token's leading comment, and a comment starting on the
/// same line as the previous token trails that token and is dropped.
/// </summary>
internal sealed class ProtoLexer
{
    private const string Symbols = "{}()[]<>;=,.:-+/";

    private readonly string _text;
    private readonly ImmutableArray<ProtoToken>.Builder _tokens = ImmutableArray.CreateBuilder<ProtoToken>();
    private readonly List<string> _commentLines = [];
    private int _position;
    private int _line;
    private int _lineStart;
    private int _commentEndLine = -2;
    private int _lastTokenLine = -1;

    private ProtoLexer(string text) => _text = text;

    /// <summary>Tokenizes <paramref name="text"/>; the result always ends with an end-of-file token.</summary>
    /// <exception cref="ProtoSyntaxException">The text holds a character or literal that is not valid .proto.</exception>
    public static ImmutableArray<ProtoToken> Tokenize(string text)
    {
        var lexer = new ProtoLexer(text);
        lexer.Run();
        return lexer._tokens.ToImmutable();
    }

    private char Peek(int ahead) => _position + ahead < _text.Length ? _text[_position + ahead] : '\0';

    private void Run()
    {
        while (true)
        {
            SkipWhitespace();
            if (_position >= _text.Length)
            {
                Add(ProtoTokenKind.EndOfFile, "", _position);
                return;
            }

            char c = _text[_position];
            int start = _position;
            if (c == '/' && Peek(1) == '/')
            {
                LineComment();
            }
            else if (c == '/' && Peek(1) == '*')
            {
                BlockComment();
            }
            else if (IsLetter(c))
            {
                while (IsLetter(Peek(0)) || IsDigit(Peek(0)))
                {
                    _position++;
                }

                Add(ProtoTokenKind.Identifier, _text.Substring(start, _position - start), start);
            }
            else if (IsDigit(c) || (c == '.' && IsDigit(Peek(1))))
            {
                Number();
            }
            else if (c == '"' || c == '\'')
            {
                Add(ProtoTokenKind.String, StringLiteral(), start);
            }
            else if (Symbols.IndexOf(c) >= 0)
            {
                _position++;
                Add(ProtoTokenKind.Symbol, c.ToString(), start);
            }
            else
            {
                throw Error(start, 1, $"Unexpected character '{c}'.");
            }
        }
    }

    private void SkipWhitespace()
    {
        while (_position < _text.Length && char.IsWhiteSpace(_text[_position]))
        {
            if (_text[_position] == '\n')
            {
                _line++;
                _lineStart = _position + 1;
            }

            _position++;
        }
    }

    private void Add(ProtoTokenKind kind, string text, int start)
    {
        string? comment = null;
        if (_commentLines.Count > 0 && _commentEndLine >= _line - 1)
        {
            comment = string.Join("\n", _commentLines);
        }

        _commentLines.Clear();
        _lastTokenLine = _line;
        _tokens.Add(new ProtoToken(kind, text, new SourceSpan(start, _position - start, _line, start - _lineStart), comment));
    }

    private void LineComment()
    {
        int start = _position + 2;
        int end = _text.IndexOf('\n', start);
        if (end < 0)
        {
            end = _text.Length;
        }

        // "///" doc-style comments and "////" rulers read the same as "//".
        string line = _text.Substring(start, end - start).TrimStart('/');
        AddComment(_line, _line, [StripOneSpace(line.TrimEnd())]);
        _position = end;
    }

    private void BlockComment()
    {
        int startLine = _line;
        int start = _position;
        int end = _text.IndexOf("*/", _position + 2, System.StringComparison.Ordinal);
        if (end < 0)
        {
            throw Error(start, 2, "Unterminated block comment.");
        }

        var lines = new List<string>();
        foreach (string raw in _text.Substring(start + 2, end - start - 2).Split('\n'))
        {
            // Javadoc style: drop the " * " margin of each line.
            string line = raw.Trim();
            if (line.StartsWith("*", System.StringComparison.Ordinal))
            {
                line = line.TrimStart('*');
            }

            lines.Add(StripOneSpace(line));
        }

        for (int i = start; i < end; i++)
        {
            if (_text[i] == '\n')
            {
                _line++;
                _lineStart = i + 1;
            }
        }

        _position = end + 2;
        AddComment(startLine, _line, lines);
    }

    private void AddComment(int startLine, int endLine, List<string> lines)
    {
        if (startLine == _lastTokenLine)
        {
            return;
        }

        // A blank line detaches the block above from what follows.
        if (startLine > _commentEndLine + 1)
        {
            _commentLines.Clear();
        }

        _commentLines.AddRange(lines);
        _commentEndLine = endLine;
    }

    private static string StripOneSpace(string line) => line.StartsWith(" ", System.StringComparison.Ordinal) ? line.Substring(1) : line;

    private void Number()
    {
        int start = _position;
        bool hex = Peek(0) == '0' && (Peek(1) == 'x' || Peek(1) == 'X');
        while (IsLetter(Peek(0)) || IsDigit(Peek(0)) || Peek(0) == '.')
        {
            _position++;
            if (!hex && (_text[_position - 1] == 'e' || _text[_position - 1] == 'E') && (Peek(0) == '+' || Peek(0) == '-'))
            {
                _position++;
            }
        }

        Add(ProtoTokenKind.Number, _text.Substring(start, _position - start), start);
    }

    private string StringLiteral()
    {
        int start = _position;
        char quote = _text[_position++];
        var value = new StringBuilder();
        while (true)
        {
            if (_position >= _text.Length || _text[_position] == '\n')
            {
                throw Error(start, _position - start, "Unterminated string literal.");
            }

            char c = _text[_position++];
            if (c == quote)
            {
                return value.ToString();
            }

            if (c != '\\')
            {
                value.Append(c);
                continue;
            }

            value.Append(Escape(_position - 1));
        }
    }

    private string Escape(int start)
    {
        char e = Peek(0);
        _position++;
        switch (e)
        {
            case 'a': return "\a";
            case 'b': return "\b";
            case 'f': return "\f";
            case 'n': return "\n";
            case 'r': return "\r";
            case 't': return "\t";
            case 'v': return "\v";
            case '\\':
            case '\'':
            case '"':
            case '?':
                return e.ToString();
            case 'x':
            case 'X':
                return ((char)ReadDigits(start, 16, 1, 2)).ToString();
            case 'u':
                return ((char)ReadDigits(start, 16, 4, 4)).ToString();
            case 'U':
                return char.ConvertFromUtf32(ReadDigits(start, 16, 8, 8));
            case >= '0' and <= '7':
                _position--;
                return ((char)ReadDigits(start, 8, 1, 3)).ToString();
            default:
                throw Error(start, 2, "Invalid escape sequence in string literal.");
        }
    }

    private int ReadDigits(int escapeStart, int radix, int min, int max)
    {
        int value = 0;
        int count = 0;
        while (count < max && DigitValue(Peek(0)) is int digit && digit < radix)
        {
            value = (value * radix) + digit;
            _position++;
            count++;
        }

        if (count < min || (radix == 16 && max == 8 && value > 0x10FFFF))
        {
            throw Error(escapeStart, _position - escapeStart, "Invalid escape sequence in string literal.");
        }

        return value;
    }

    private static int? DigitValue(char c) =>
        int.TryParse(c.ToString(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int value) ? value : null;

    private static bool IsLetter(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_';

    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    private ProtoSyntaxException Error(int start, int length, string message) =>
        new(message, new SourceSpan(start, length, _line, start - _lineStart));
}
