using System;
using System.Collections.Generic;

namespace Ferry.Grpc.Generator.Resolution;

/// <summary>
/// Path arithmetic for matching imports to files, done on strings: '/' separators, '.' and '..' folded, and no
/// file system access (analyzers must not touch the disk).
/// </summary>
internal static class ProtoPath
{
    /// <summary>Case-insensitive, so an import spelled with other casing still matches on Windows.</summary>
    public static readonly StringComparer Comparer = StringComparer.OrdinalIgnoreCase;

    public static string Normalize(string path)
    {
        string unified = path.Replace('\\', '/');
        var segments = new List<string>();
        foreach (string segment in unified.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == ".." && segments.Count > 0 && segments[segments.Count - 1] != "..")
            {
                segments.RemoveAt(segments.Count - 1);
            }
            else
            {
                segments.Add(segment);
            }
        }

        string joined = string.Join("/", segments);
        return unified.StartsWith("/", StringComparison.Ordinal) ? "/" + joined : joined;
    }

    public static string Combine(string directory, string path) =>
        IsRooted(path) || directory.Length == 0 ? Normalize(path) : Normalize(directory + "/" + path);

    /// <summary>The directory part of a normalized path.</summary>
    public static string DirectoryOf(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash < 0 ? "" : path.Substring(0, slash);
    }

    /// <summary>Whether normalized <paramref name="path"/> lies under normalized <paramref name="directory"/>.</summary>
    public static bool IsUnder(string path, string directory) =>
        directory.Length > 0 && path.Length > directory.Length && path[directory.Length] == '/' &&
        path.StartsWith(directory, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether normalized <paramref name="path"/> ends with the whole segments of <paramref name="relative"/>.</summary>
    public static bool EndsWith(string path, string relative) =>
        path.EndsWith(relative, StringComparison.OrdinalIgnoreCase) &&
        (path.Length == relative.Length || path[path.Length - relative.Length - 1] == '/');

    private static bool IsRooted(string path) =>
        path.StartsWith("/", StringComparison.Ordinal) || path.StartsWith("\\", StringComparison.Ordinal) ||
        (path.Length >= 2 && path[1] == ':');
}
