using System.Diagnostics;
using System.Text.Json;

namespace Ferry.Gateway.Tests.Metrics;

/// <summary>
/// Parses a scrape with the official Prometheus Python client's parser (Debian's python3-prometheus-client), an
/// independent judge of the text format.
/// </summary>
internal static class PythonPrometheusClient
{
    private const string Python = "/usr/bin/python3";

    private const string Script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        families = []
        for family in text_string_to_metric_families(sys.stdin.read()):
            families.append({"name": family.name, "type": family.type, "help": family.documentation,
                             "samples": [{"name": s.name, "labels": s.labels, "value": repr(s.value)} for s in family.samples]})
        print(json.dumps(families))
        """;

    private static readonly Lazy<bool> s_available = new(() => Run("import prometheus_client", "").Result.ExitCode == 0);

    public static bool IsAvailable => s_available.Value;

    public static async Task<List<Family>> ParseAsync(string text)
    {
        var (exitCode, output, error) = await Run(Script, text);
        Assert.True(exitCode == 0, $"prometheus_client rejected the scrape: {error}");
        return JsonSerializer.Deserialize<List<Family>>(output, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
    }

    private static async Task<(int ExitCode, string Output, string Error)> Run(string script, string input)
    {
        if (!File.Exists(Python))
        {
            return (-1, "", $"{Python} not found");
        }

        var startInfo = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(script);
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(MetricsTestSupport.TestTimeout);
        return (process.ExitCode, await output, await error);
    }

    public sealed record Family(string Name, string Type, string Help, List<Sample> Samples);

    public sealed record Sample(string Name, Dictionary<string, string> Labels, string Value);
}
