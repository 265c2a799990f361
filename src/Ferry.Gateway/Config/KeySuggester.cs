namespace Ferry.Gateway.Config;

/// <summary>"Did you mean" for unknown keys and names: the closest candidate by edit distance, compared without
/// case, '_' or '-' so that <c>loadBalancing</c> finds <c>load_balancing</c>.</summary>
internal static class KeySuggester
{
    public static string? Closest(string given, IEnumerable<string> candidates)
    {
        var normalized = Normalize(given);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(normalized, Normalize(candidate));
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        var allowed = normalized.Length switch { <= 3 => 1, <= 8 => 2, _ => 3 };
        return bestDistance <= allowed ? best : null;
    }

    /// <summary>" (did you mean 'x'?)" or "".</summary>
    public static string Hint(string given, IEnumerable<string> candidates) =>
        Closest(given, candidates) is { } suggestion ? $" (did you mean '{suggestion}'?)" : "";

    private static string Normalize(string text) =>
        string.Concat(text.Where(c => c is not ('_' or '-')).Select(char.ToLowerInvariant));

    /// <summary>Optimal string alignment distance: Levenshtein plus swapping two neighbours.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
