using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Ferry.Tests.Infrastructure;

/// <summary>
/// The path of the ahead-of-time compiled ferry program: <c>FERRY_NATIVE</c> when test.sh published it, otherwise
/// published here once per test run (a minute or two).
/// </summary>
public sealed class NativeFerry : IDisposable
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(8);
    private readonly string? _ownDirectory;

    public NativeFerry()
    {
        if (Environment.GetEnvironmentVariable("FERRY_NATIVE") is { Length: > 0 } published)
        {
            Assert.True(File.Exists(published), $"FERRY_NATIVE names {published}, which does not exist.");
            Path = published;
            return;
        }

        _ownDirectory = Directory.CreateTempSubdirectory("ferry-native-").FullName;
        Path = Publish(_ownDirectory);
    }

    public string Path { get; }

    public void Dispose()
    {
        if (_ownDirectory is not null)
        {
            Directory.Delete(_ownDirectory, recursive: true);
        }
    }

    private static string Publish(string output)
    {
        var rid = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        var project = System.IO.Path.Combine(RepositoryRoot(), "src", "Ferry", "Ferry.csproj");
        var start = new ProcessStartInfo("dotnet", ["publish", project, "-c", "Release", "-r", rid, "-p:FerryAot=true", "-o", output, "-nologo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(PublishTimeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"dotnet publish of ferry did not finish within {PublishTimeout}.");
        }

        Assert.True(process.ExitCode == 0, $"dotnet publish of ferry failed:\n{stdout.Result}\n{stderr.Result}");
        return System.IO.Path.Combine(output, "ferry");
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Ferry.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Ferry.sln above {AppContext.BaseDirectory}.");
    }
}

[CollectionDefinition(Name)]
public sealed class NativeFerryCollection : ICollectionFixture<NativeFerry>
{
    public const string Name = "native ferry";
}
