using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Ferry.Gateway.Config;

/// <summary>
/// Reads one YAML document into <see cref="YamlNode"/>s from YamlDotNet parser events, keeping every node's line
/// and column. Unlike YamlDotNet's representation model it reports a duplicate key as an error and reads on (the
/// first value wins), so a load still collects every error. Anchors, aliases and <c>&lt;&lt;</c> merge keys work.
/// </summary>
internal sealed class YamlDocumentReader
{
    private const string MergeKey = "<<";

    private readonly IParser _parser;
    private readonly ConfigDiagnostics _diagnostics;
    private readonly Dictionary<string, YamlNode> _anchors = new(StringComparer.Ordinal);
    private YamlNode _last = new YamlScalar(1, 1, "", isPlain: true);

    private YamlDocumentReader(IParser parser, ConfigDiagnostics diagnostics)
    {
        _parser = parser;
        _diagnostics = diagnostics;
    }

    /// <summary>
    /// The root node; null for an empty document, or when the text is not YAML (then an error is recorded).
    /// </summary>
    public static YamlNode? Read(string yaml, ConfigDiagnostics diagnostics)
    {
        var reader = new YamlDocumentReader(new Parser(new StringReader(yaml)), diagnostics);
        try
        {
            return reader.ReadStream();
        }
        catch (YamlException e)
        {
            var at = new YamlScalar(ToInt(e.Start.Line), ToInt(e.Start.Column), "", isPlain: true);
            diagnostics.Error(at, "", $"invalid YAML: {e.Message}");
            return null;
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner fails this way on some malformed flow collections, without a position: report
            // where reading stopped.
            diagnostics.Error(reader._last, "", $"invalid YAML after this point: {e.Message}");
            return null;
        }
    }

    private YamlNode? ReadStream()
    {
        _parser.Consume<StreamStart>();
        if (_parser.TryConsume<StreamEnd>(out _))
        {
            return null;
        }

        _parser.Consume<DocumentStart>();
        var root = ReadNode("");
        _parser.Consume<DocumentEnd>();
        if (_parser.Accept<DocumentStart>(out var next))
        {
            _diagnostics.Error(At(next), "", "only one YAML document is allowed; remove the '---' separator");
        }

        return root;
    }

    private YamlNode ReadNode(string path)
    {
        if (_parser.Current is { } current)
        {
            _last = At(current); // before Consume, which reads ahead and may fail
        }

        var parsingEvent = _parser.Consume<ParsingEvent>();
        YamlNode node;
        switch (parsingEvent)
        {
            case AnchorAlias alias:
                if (_anchors.TryGetValue(alias.Value.Value, out var anchored))
                {
                    return anchored;
                }

                node = At(alias);
                _diagnostics.Error(node, path, $"unknown alias '*{alias.Value.Value}'");
                return node;

            case Scalar scalar:
                node = new YamlScalar(Line(scalar), Column(scalar), scalar.Value, scalar.Style is ScalarStyle.Plain or ScalarStyle.Any);
                Remember(scalar.Anchor, node);
                return node;

            case SequenceStart start:
                var items = new List<YamlNode>();
                var sequence = new YamlSequence(Line(start), Column(start), items);
                Remember(start.Anchor, sequence);
                while (!_parser.TryConsume<SequenceEnd>(out _))
                {
                    items.Add(ReadNode($"{path}[{items.Count}]"));
                }

                return sequence;

            case MappingStart start:
                return ReadMapping(start, path);

            default:
                throw new YamlException(parsingEvent.Start, parsingEvent.End, $"unexpected {parsingEvent.GetType().Name}");
        }
    }

    private YamlMapping ReadMapping(MappingStart start, string path)
    {
        var entries = new List<KeyValuePair<YamlScalar, YamlNode>>();
        var mapping = new YamlMapping(Line(start), Column(start), entries);
        Remember(start.Anchor, mapping);
        var seen = new Dictionary<string, YamlScalar>(StringComparer.Ordinal);
        var merged = new List<YamlMapping>();
        while (!_parser.TryConsume<MappingEnd>(out _))
        {
            var key = ReadNode(path);
            if (key is not YamlScalar scalarKey)
            {
                _diagnostics.Error(key, path, $"a key must be a plain name, not {key.Kind}");
                ReadNode(path);
                continue;
            }

            var childPath = path.Length == 0 ? scalarKey.Value : $"{path}.{scalarKey.Value}";
            var value = ReadNode(childPath);
            if (scalarKey.IsPlain && scalarKey.Value == MergeKey)
            {
                CollectMerge(value, childPath, merged);
            }
            else if (seen.TryGetValue(scalarKey.Value, out var first))
            {
                _diagnostics.Error(scalarKey, childPath, $"duplicate key '{scalarKey.Value}' (first given at line {first.Line})");
            }
            else
            {
                seen.Add(scalarKey.Value, scalarKey);
                entries.Add(new(scalarKey, value));
            }
        }

        // Keys given in the mapping itself win over merged ones; of merged mappings the first wins.
        foreach (var source in merged)
        {
            foreach (var entry in source.Entries)
            {
                if (seen.TryAdd(entry.Key.Value, entry.Key))
                {
                    entries.Add(entry);
                }
            }
        }

        return mapping;
    }

    private void CollectMerge(YamlNode value, string path, List<YamlMapping> merged)
    {
        switch (value)
        {
            case YamlMapping mapping:
                merged.Add(mapping);
                break;
            case YamlSequence sequence when sequence.Items.All(item => item is YamlMapping):
                merged.AddRange(sequence.Items.Cast<YamlMapping>());
                break;
            default:
                _diagnostics.Error(value, path, "a '<<' merge key takes an alias of a mapping (<<: *name) or a list of them");
                break;
        }
    }

    private void Remember(AnchorName anchor, YamlNode node)
    {
        if (!anchor.IsEmpty)
        {
            _anchors[anchor.Value] = node;
        }
    }

    private static YamlScalar At(ParsingEvent parsingEvent) => new(Line(parsingEvent), Column(parsingEvent), "", isPlain: true);

    private static int Line(ParsingEvent parsingEvent) => ToInt(parsingEvent.Start.Line);

    private static int Column(ParsingEvent parsingEvent) => ToInt(parsingEvent.Start.Column);

    private static int ToInt(long value) => (int)Math.Clamp(value, 0, int.MaxValue);
}
