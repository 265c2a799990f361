using System.Diagnostics;

namespace Ferry.Grpc.Tests.Security;

/// <summary>Runs the <c>openssl</c> command line tool, as an independent judge of what .NET wrote.</summary>
internal static class OpenSsl
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    public static string? FindExecutable()
    {
        var name = OperatingSystem.IsWindows() ? "openssl.exe" : "openssl";
        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string workingDirectory, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(FindExecutable() ?? throw new InvalidOperationException("openssl is not on the PATH."))
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(s_timeout);
        return (process.ExitCode, await stdout + await stderr);
    }
}
