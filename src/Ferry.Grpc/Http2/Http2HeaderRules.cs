namespace Ferry.Grpc.Http2;

/// <summary>What RFC 9113 section 8.2 allows in a field name: a header block that breaks it is malformed.</summary>
internal static class Http2HeaderRules
{
    /// <summary>Lowercase token characters only (RFC 9110 tchar without uppercase).</summary>
    public static bool IsValidFieldName(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.' or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '^' or '`' or '|' or '~')
            {
                continue;
            }

            return false;
        }

        return true;
    }

    /// <summary>
    /// No NUL, CR or LF in a field value (section 8.2.1): forwarded to HTTP/1.1 such a value could split one field
    /// into two or end the header section.
    /// </summary>
    public static bool IsValidFieldValue(string value) => value.AsSpan().IndexOfAny('\0', '\r', '\n') < 0;

    /// <summary>Connection-specific fields, which HTTP/2 forbids (section 8.2.2).</summary>
    public static bool IsConnectionSpecific(string name) =>
        name is "connection" or "keep-alive" or "proxy-connection" or "transfer-encoding" or "upgrade";
}
