using System.Collections.Generic;

namespace Ferry.Grpc.Generator.Resolution;

/// <summary>
/// Finds the file an <c>import</c> names among the project's proto files. protoc looks the import up under the
/// importing file's ProtoRoot; Grpc.Tools defaults that root to the project directory for files inside it and
/// to the file's own directory otherwise, and so does this class. An import found under no root (for example
/// through AdditionalImportDirs) still matches a single file whose path ends with it, and the well-known types
/// are built in because Grpc.Tools supplies them rather than the project.
/// </summary>
internal sealed class ImportResolver
{
    private readonly Dictionary<string, ParsedProto> _byPath = new(ProtoPath.Comparer);
    private readonly string _projectDirectory;

    public ImportResolver(IEnumerable<ParsedProto> files, string projectDirectory)
    {
        _projectDirectory = ProtoPath.Normalize(projectDirectory);
        foreach (var file in files)
        {
            _byPath[ProtoPath.Normalize(file.Source.Path)] = file;
        }
    }

    /// <summary>The imported file, or null when no known file matches (unambiguously).</summary>
    public ParsedProto? Resolve(ParsedProto importer, string import)
    {
        string relative = ProtoPath.Normalize(import);
        if (_byPath.TryGetValue(ProtoPath.Combine(RootOf(importer), relative), out var exact))
        {
            return exact;
        }

        ParsedProto? bySuffix = null;
        foreach (var entry in _byPath)
        {
            if (ProtoPath.EndsWith(entry.Key, relative))
            {
                if (bySuffix is not null)
                {
                    return null;
                }

                bySuffix = entry.Value;
            }
        }

        return bySuffix ?? WellKnownProtos.Find(relative);
    }

    private string RootOf(ParsedProto file)
    {
        string path = ProtoPath.Normalize(file.Source.Path);
        if (file.Source.ProtoRoot.Trim().Length > 0)
        {
            return ProtoPath.Combine(_projectDirectory, file.Source.ProtoRoot.Trim());
        }

        return ProtoPath.IsUnder(path, _projectDirectory) ? _projectDirectory : ProtoPath.DirectoryOf(path);
    }
}
