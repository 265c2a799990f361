using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Ferry.Gateway.Tests.Metrics;

/// <summary>
/// A strict reader of the Prometheus text format 0.0.4, written for the tests from the format's description rather
/// than from the exporter: it rejects anything a scraper could stumble on. Beyond the grammar (names, label escapes,
/// values) it checks the structure: HELP and TYPE at most once and before the family's samples, every sample under a
/// declared family with a name its type allows, families contiguous and sorted, no series twice, and histograms
/// complete (ascending <c>le</c>, cumulative counts, <c>+Inf</c> equal to <c>_count</c>, a <c>_sum</c>).
/// </summary>
internal static partial class StrictPrometheusParser
{
    public static IReadOnlyList<Family> Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            throw new FormatException("The text does not end with a line feed.");
        }

        var families = new List<Family>();
        var byName = new Dictionary<string, Family>(StringComparer.Ordinal);
        Family? current = null;
        var lines = text.Length == 0 ? [] : text[..^1].Split('\n');
        for (var index = 0; index < lines.Length; index++)
        {
            var line = lines[index];
            var number = index + 1;
            if (line.Length == 0)
            {
                throw Error(number, "blank line");
            }

            if (line.StartsWith('#'))
            {
                var match = MetadataLine().Match(line);
                if (!match.Success)
                {
                    throw Error(number, $"malformed comment line '{line}'");
                }

                var name = match.Groups["name"].Value;
                if (!byName.TryGetValue(name, out var family))
                {
                    if (families.Count > 0 && string.CompareOrdinal(families[^1].Name, name) >= 0)
                    {
                        throw Error(number, $"family '{name}' is not in sorted order after '{families[^1].Name}'");
                    }

                    family = new Family(name);
                    families.Add(family);
                    byName.Add(name, family);
                }
                else if (!ReferenceEquals(family, current) || family.Samples.Count > 0)
                {
                    throw Error(number, $"metadata for '{name}' after its samples or apart from its family");
                }

                current = family;
                var rest = match.Groups["rest"].Value;
                if (match.Groups["kind"].Value == "HELP")
                {
                    if (family.Help is not null || family.Type is not null)
                    {
                        throw Error(number, $"HELP for '{name}' repeated or after TYPE");
                    }

                    family.Help = UnescapeHelp(rest, number);
                }
                else
                {
                    if (family.Type is not null)
                    {
                        throw Error(number, $"TYPE for '{name}' repeated");
                    }

                    if (rest is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
                    {
                        throw Error(number, $"unknown type '{rest}'");
                    }

                    family.Type = rest;
                }

                continue;
            }

            Sample sample;
            try
            {
                sample = ParseSample(line, number);
            }
            catch (IndexOutOfRangeException)
            {
                throw Error(number, $"line ends early: '{line}'");
            }

            if (current is null || current.Type is null || !BelongsTo(sample.Name, current))
            {
                throw Error(number, $"sample '{sample.Name}' outside a declared family (current: '{current?.Name}')");
            }

            var series = sample.Name + "{" + string.Join(",", sample.Labels.Select(label => $"{label.Key}={label.Value}")) + "}";
            if (!current.SeriesSeen.Add(series))
            {
                throw Error(number, $"series {series} repeated");
            }

            current.Samples.Add(sample);
        }

        foreach (var family in families)
        {
            if (family.Type is null)
            {
                throw new FormatException($"Family '{family.Name}' has no TYPE.");
            }

            if (family.Type == "histogram")
            {
                CheckHistogram(family);
            }
        }

        return families;
    }

    private static bool BelongsTo(string sampleName, Family family) => family.Type switch
    {
        "histogram" => sampleName == family.Name + "_bucket" || sampleName == family.Name + "_sum" || sampleName == family.Name + "_count",
        "summary" => sampleName == family.Name || sampleName == family.Name + "_sum" || sampleName == family.Name + "_count",
        _ => sampleName == family.Name,
    };

    private static void CheckHistogram(Family family)
    {
        var bySeries = family.Samples.GroupBy(sample => string.Join(",", sample.Labels.Where(label => label.Key != "le").Select(label => $"{label.Key}={label.Value}")));
        foreach (var series in bySeries)
        {
            var buckets = series.Where(sample => sample.Name.EndsWith("_bucket", StringComparison.Ordinal)).ToList();
            var sums = series.Where(sample => sample.Name.EndsWith("_sum", StringComparison.Ordinal)).ToList();
            var counts = series.Where(sample => sample.Name.EndsWith("_count", StringComparison.Ordinal)).ToList();
            if (buckets.Count == 0 || sums.Count != 1 || counts.Count != 1)
            {
                throw new FormatException($"Histogram '{family.Name}' series {{{series.Key}}} lacks buckets, _sum or _count.");
            }

            var previousBound = double.NegativeInfinity;
            var previousCount = 0.0;
            foreach (var bucket in buckets)
            {
                if (!bucket.Labels.TryGetValue("le", out var le))
                {
                    throw new FormatException($"Histogram '{family.Name}' bucket without 'le'.");
                }

                var bound = ParseValue(le) ?? throw new FormatException($"Bad le '{le}'.");
                if (bound <= previousBound || bucket.Value < previousCount)
                {
                    throw new FormatException($"Histogram '{family.Name}' buckets not ascending and cumulative at le={le}.");
                }

                previousBound = bound;
                previousCount = bucket.Value;
            }

            if (!double.IsPositiveInfinity(previousBound) || previousCount != counts[0].Value)
            {
                throw new FormatException($"Histogram '{family.Name}' lacks a +Inf bucket equal to _count.");
            }
        }
    }

    private static Sample ParseSample(string line, int number)
    {
        var position = 0;
        var name = ReadName(line, ref position, allowColon: true) ?? throw Error(number, $"bad metric name in '{line}'");
        var labels = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (position < line.Length && line[position] == '{')
        {
            position++;
            while (line[position] != '}')
            {
                var labelName = ReadName(line, ref position, allowColon: false) ?? throw Error(number, "bad label name");
                if (labelName.StartsWith("__", StringComparison.Ordinal))
                {
                    throw Error(number, $"reserved label name '{labelName}'");
                }

                if (line[position++] != '=' || line[position++] != '"')
                {
                    throw Error(number, "expected =\" after a label name");
                }

                var value = new StringBuilder();
                while (line[position] != '"')
                {
                    if (line[position] == '\\')
                    {
                        value.Append(line[position + 1] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            var other => throw Error(number, $"bad escape \\{other} in a label value"),
                        });
                        position += 2;
                    }
                    else
                    {
                        value.Append(line[position++]);
                    }
                }

                position++;
                if (!labels.TryAdd(labelName, value.ToString()))
                {
                    throw Error(number, $"label '{labelName}' repeated");
                }

                if (line[position] == ',')
                {
                    position++;
                }
                else if (line[position] != '}')
                {
                    throw Error(number, "expected , or } after a label");
                }
            }

            position++;
        }

        if (position >= line.Length || line[position] != ' ')
        {
            throw Error(number, "expected a space before the value");
        }

        var parts = line[(position + 1)..].Split(' ');
        if (parts.Length > 2 || (parts.Length == 2 && !long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)))
        {
            throw Error(number, $"bad value or timestamp '{line[(position + 1)..]}'");
        }

        var sampleValue = ParseValue(parts[0]) ?? throw Error(number, $"bad value '{parts[0]}'");
        return new Sample(name, labels, sampleValue);
    }

    private static double? ParseValue(string text) => text switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ when FloatLiteral().IsMatch(text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
        _ => null,
    };

    private static string? ReadName(string line, ref int position, bool allowColon)
    {
        var start = position;
        while (position < line.Length)
        {
            var c = line[position];
            var valid = char.IsAsciiLetter(c) || c == '_' || (allowColon && c == ':') || (position > start && char.IsAsciiDigit(c));
            if (!valid)
            {
                break;
            }

            position++;
        }

        return position > start ? line[start..position] : null;
    }

    private static string UnescapeHelp(string text, int number)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                builder.Append(text[i]);
                continue;
            }

            builder.Append(i + 1 < text.Length ? text[++i] switch
            {
                '\\' => '\\',
                'n' => '\n',
                var other => throw Error(number, $"bad escape \\{other} in HELP"),
            } : throw Error(number, "HELP ends in a backslash"));
        }

        return builder.ToString();
    }

    private static FormatException Error(int line, string message) => new($"Line {line}: {message}.");

    [GeneratedRegex(@"^# (?<kind>HELP|TYPE) (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?<rest>.*)$")]
    private static partial Regex MetadataLine();

    [GeneratedRegex(@"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")]
    private static partial Regex FloatLiteral();

    public sealed class Family(string name)
    {
        public string Name { get; } = name;

        public string? Help { get; set; }

        public string? Type { get; set; }

        public List<Sample> Samples { get; } = [];

        internal HashSet<string> SeriesSeen { get; } = new(StringComparer.Ordinal);
    }

    public sealed record Sample(string Name, SortedDictionary<string, string> Labels, double Value);
}
