using System.Text.RegularExpressions;

namespace Ferry.Grpc.Tests.Interop;

/// <summary>
/// What a peer interop client printed (interop/README.md, "Client protocol"): one <c>PASS name</c>,
/// <c>FAIL name: reason</c> or <c>SKIP name: reason</c> line per case, then <c>N passed, M failed[, K skipped]</c>.
/// </summary>
internal sealed partial class PeerClientReport
{
    private PeerClientReport(IReadOnlyDictionary<string, CaseResult> cases, string? summary, IReadOnlyList<string> problems)
    {
        Cases = cases;
        Summary = summary;
        Problems = problems;
    }

    public IReadOnlyDictionary<string, CaseResult> Cases { get; }

    public string? Summary { get; }

    /// <summary>Lines that break the protocol: unknown lines, cases reported twice, a summary that does not add up.</summary>
    public IReadOnlyList<string> Problems { get; }

    public static PeerClientReport Parse(IEnumerable<string> lines)
    {
        var cases = new Dictionary<string, CaseResult>(StringComparer.Ordinal);
        var problems = new List<string>();
        string? summary = null;
        foreach (var line in lines)
        {
            if (CaseLine().Match(line) is { Success: true } result)
            {
                var name = result.Groups["name"].Value;
                if (!cases.TryAdd(name, new CaseResult(result.Groups["outcome"].Value, result.Groups["reason"].Value)))
                {
                    problems.Add($"case reported twice: '{line}'");
                }
            }
            else if (SummaryLine().Match(line) is { Success: true } totals)
            {
                summary = line;
                var counts = (Passed: Count(totals, "passed"), Failed: Count(totals, "failed"), Skipped: Count(totals, "skipped"));
                var actual = (Passed: Outcomes("PASS"), Failed: Outcomes("FAIL"), Skipped: Outcomes("SKIP"));
                if (counts != actual)
                {
                    problems.Add($"summary '{line}' does not match the case lines ({actual.Passed} passed, {actual.Failed} failed, {actual.Skipped} skipped)");
                }
            }
            else
            {
                problems.Add($"unexpected line: '{line}'");
            }
        }

        if (summary is null)
        {
            problems.Add("no summary line");
        }

        return new PeerClientReport(cases, summary, problems);

        int Outcomes(string outcome) => cases.Values.Count(c => c.Outcome == outcome);
    }

    private static int Count(Match match, string group) =>
        match.Groups[group].Success ? int.Parse(match.Groups[group].Value) : 0;

    [GeneratedRegex("^(?<outcome>PASS|FAIL|SKIP) (?<name>[a-z_]+)(: (?<reason>.*))?$")]
    private static partial Regex CaseLine();

    [GeneratedRegex("^(?<passed>[0-9]+) passed, (?<failed>[0-9]+) failed(, (?<skipped>[0-9]+) skipped)?$")]
    private static partial Regex SummaryLine();

    public sealed record CaseResult(string Outcome, string Reason);
}
