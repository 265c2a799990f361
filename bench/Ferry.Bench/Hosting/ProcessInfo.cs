using System.Runtime;

namespace Ferry.Bench.Hosting;

/// <summary>The one line each long-running mode prints once ready; the scripts wait for it and record it.</summary>
internal static class ProcessInfo
{
    public static string Describe() =>
        $"pid={Environment.ProcessId} gc={(GCSettings.IsServerGC ? "server" : "workstation")} " +
        $"latency_mode={GCSettings.LatencyMode} cpus={Environment.ProcessorCount} " +
        $"inline_socket_completions={Environment.GetEnvironmentVariable(Ferry.Cli.Runtime.GatewayRuntimeDefaults.InlineSocketCompletions) == "1"}";
}
