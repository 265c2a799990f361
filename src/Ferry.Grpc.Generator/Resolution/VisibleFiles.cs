using System.Collections.Generic;

namespace Ferry.Grpc.Generator.Resolution;

/// <summary>
/// The files whose declarations a file can refer to: itself, its imports, and whatever those import publicly
/// (protoc's rule). When an import cannot be found the file might see anything, so every file is visible.
/// </summary>
internal sealed class VisibleFiles
{
    public static readonly VisibleFiles All = new(null);

    private readonly HashSet<ParsedProto>? _files;

    private VisibleFiles(HashSet<ParsedProto>? files) => _files = files;

    public bool Contains(ParsedProto file) => _files is null || _files.Contains(file);

    public static VisibleFiles Of(ParsedProto file, ImportResolver imports)
    {
        var files = new HashSet<ParsedProto> { file };
        foreach (var import in file.Syntax?.Imports ?? [])
        {
            if (!AddWithPublicImports(imports.Resolve(file, import.Path), files, imports))
            {
                return All;
            }
        }

        return new VisibleFiles(files);
    }

    private static bool AddWithPublicImports(ParsedProto? file, HashSet<ParsedProto> files, ImportResolver imports)
    {
        if (file is null)
        {
            return false;
        }

        if (!files.Add(file))
        {
            return true;
        }

        foreach (var import in file.Syntax?.Imports ?? [])
        {
            if (import.IsPublic && !AddWithPublicImports(imports.Resolve(file, import.Path), files, imports))
            {
                return false;
            }
        }

        return true;
    }
}
