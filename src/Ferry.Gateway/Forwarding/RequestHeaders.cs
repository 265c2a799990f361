namespace Ferry.Gateway.Forwarding;

/// <summary>
/// Lookups in a request's header list (lowercase names, in arrival order). Indexed loops: they run for every call,
/// and foreach over the list interface would allocate an enumerator.
/// </summary>
internal static class RequestHeaders
{
    /// <summary>The first value of <paramref name="name"/> (lowercase), or null.</summary>
    public static string? First(IReadOnlyList<KeyValuePair<string, string>> headers, string name)
    {
        for (var i = 0; i < headers.Count; i++)
        {
            if (string.Equals(headers[i].Key, name, StringComparison.Ordinal))
            {
                return headers[i].Value;
            }
        }

        return null;
    }

    /// <summary>Every value of <paramref name="name"/> joined with ", " (how a list-valued field is combined), or null.</summary>
    public static string? Joined(IReadOnlyList<KeyValuePair<string, string>> headers, string name)
    {
        string? joined = null;
        for (var i = 0; i < headers.Count; i++)
        {
            if (string.Equals(headers[i].Key, name, StringComparison.Ordinal))
            {
                joined = joined is null ? headers[i].Value : joined + ", " + headers[i].Value;
            }
        }

        return joined;
    }

    /// <summary>Whether some field <paramref name="name"/> is present and, when <paramref name="value"/> is given, has it exactly.</summary>
    public static bool Contains(IReadOnlyList<KeyValuePair<string, string>> headers, string name, string? value)
    {
        for (var i = 0; i < headers.Count; i++)
        {
            if (string.Equals(headers[i].Key, name, StringComparison.Ordinal) &&
                (value is null || string.Equals(headers[i].Value, value, StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }
}
