using System.Diagnostics;
using Ferry.Grpc.Tests.Tls;

namespace Ferry.Grpc.Tests.Interop;

/// <summary>
/// Command lines of the reference peers in <c>interop/</c>, following the server and client protocols of
/// interop/README.md, and whether this machine can run them.
/// </summary>
internal static class Peers
{
    public const string PythonExecutable = "/usr/bin/python3";

    private static readonly Lazy<string> s_repositoryRoot = new(FindRepositoryRoot);
    private static readonly Lazy<string?> s_pythonUnavailable = new(CheckPython);
    private static readonly Lazy<string?> s_nodeUnavailable = new(CheckNode);

    public static string InteropDirectory => Path.Combine(s_repositoryRoot.Value, "interop");

    /// <summary>Why <paramref name="peer"/> cannot run here (with the setup step that fixes it), or null.</summary>
    public static string? UnavailableReason(Peer peer) => peer switch
    {
        Peer.Python => s_pythonUnavailable.Value,
        Peer.Node => s_nodeUnavailable.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(peer)),
    };

    /// <summary>Starts the peer's interop server on an ephemeral 127.0.0.1 port.</summary>
    public static PeerProcess StartServer(Peer peer, TransportSecurity security, TestCertificates certificates)
    {
        List<string> arguments = ["--port", "0"];
        if (security != TransportSecurity.Plaintext)
        {
            arguments.AddRange(["--use_tls", "--cert", certificates.ServerFile, "--key", certificates.ServerKeyFile]);
        }

        if (security == TransportSecurity.MutualTls)
        {
            arguments.AddRange(["--client_ca", certificates.CaFile]);
        }

        return Start(peer, "interop_server", arguments);
    }

    /// <summary>
    /// Runs every case of the peer's interop client against 127.0.0.1:<paramref name="port"/>. With TLS the client
    /// checks the server certificate's 127.0.0.1 address; with mutual TLS it checks the name <c>localhost</c>
    /// (<c>--server_host_override</c>) and presents the client certificate.
    /// </summary>
    public static PeerProcess StartClient(Peer peer, int port, TransportSecurity security, TestCertificates certificates)
    {
        List<string> arguments = ["--server_host", "127.0.0.1", "--server_port", port.ToString(), "--test_case", "all"];
        if (security != TransportSecurity.Plaintext)
        {
            arguments.AddRange(["--use_tls", "--ca_file", certificates.CaFile]);
        }

        if (security == TransportSecurity.MutualTls)
        {
            arguments.AddRange(["--server_host_override", "localhost", "--client_cert", certificates.ClientFile, "--client_key", certificates.ClientKeyFile]);
        }

        return Start(peer, "interop_client", arguments);
    }

    /// <summary>The port of a server's <c>LISTENING &lt;port&gt;</c> line.</summary>
    public static async Task<int> WaitForListeningAsync(PeerProcess server, TimeSpan timeout)
    {
        var line = await server.WaitForLineAsync(l => l.StartsWith("LISTENING ", StringComparison.Ordinal), timeout);
        return int.TryParse(line.AsSpan("LISTENING ".Length), out var port) && port > 0
            ? port
            : throw new InvalidOperationException($"Bad LISTENING line '{line}'. {server.Describe()}");
    }

    private static PeerProcess Start(Peer peer, string program, IEnumerable<string> arguments) => peer switch
    {
        Peer.Python => PeerProcess.Start(PythonExecutable, arguments.Prepend(Path.Combine(InteropDirectory, "python", program + ".py"))),
        Peer.Node => PeerProcess.Start("node", arguments.Prepend(Path.Combine(InteropDirectory, "node", program + ".js"))),
        _ => throw new ArgumentOutOfRangeException(nameof(peer)),
    };

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Ferry.sln")) && Directory.Exists(Path.Combine(directory.FullName, "interop")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Ferry.sln with an interop/ directory above {AppContext.BaseDirectory}.");
    }

    private static string? CheckPython()
    {
        if (!File.Exists(PythonExecutable))
        {
            return $"{PythonExecutable} is missing (apt-get install -y python3-grpcio).";
        }

        var startInfo = new ProcessStartInfo(PythonExecutable) { RedirectStandardOutput = true, RedirectStandardError = true };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add("import grpc, google.protobuf");
        using var process = Process.Start(startInfo)!;
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill();
            return $"{PythonExecutable} did not answer within 30 s.";
        }

        return process.ExitCode == 0 ? null : $"{PythonExecutable} cannot import grpc ({stderr.Result.Trim()}); apt-get install -y python3-grpcio.";
    }

    private static string? CheckNode()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, "node")));
        if (!onPath)
        {
            return "node is not on the PATH.";
        }

        return Directory.Exists(Path.Combine(InteropDirectory, "node", "node_modules", "@grpc", "grpc-js"))
            ? null
            : "interop/node/node_modules is missing (cd interop/node && npm ci).";
    }
}
