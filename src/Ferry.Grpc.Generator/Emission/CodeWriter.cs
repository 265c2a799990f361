using System.Text;

namespace Ferry.Grpc.Generator.Emission;

/// <summary>Writes indented lines of C#.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public void Line(string line = "")
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _indent * 4);
        }

        _text.Append(line).Append('\n');
    }

    public void Open(string header)
    {
        Line(header);
        Line("{");
        _indent++;
    }

    public void Close()
    {
        _indent--;
        Line("}");
    }

    /// <summary>Writes a proto comment as an XML doc summary; nothing when there is no comment.</summary>
    public void DocComment(string? comment)
    {
        string[] lines = (comment ?? "").Trim('\n', ' ').Split('\n');
        if (lines.Length == 1 && lines[0].Trim().Length == 0)
        {
            return;
        }

        Line("/// <summary>");
        foreach (string line in lines)
        {
            Line(("/// " + Escape(line)).TrimEnd());
        }

        Line("/// </summary>");
    }

    public override string ToString() => _text.ToString();

    private static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
