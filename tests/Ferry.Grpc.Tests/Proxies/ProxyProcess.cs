using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Ferry.Grpc.Tests.Interop;
using Ferry.Grpc.Tests.Security;

namespace Ferry.Grpc.Tests.Proxies;

/// <summary>
/// A proxy program (nginx, HAProxy) as a child process for a test: its configuration written to a temporary
/// directory for a free 127.0.0.1 port, started, and awaited until it accepts connections. Disposal kills its whole
/// process tree and deletes the directory.
/// </summary>
internal sealed class ProxyProcess : IAsyncDisposable
{
    private const int StartAttempts = 3;
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(15);

    private readonly TemporaryDirectory _directory;
    private readonly PeerProcess _process;
    private readonly string _name;
    private readonly string _configuration;

    private ProxyProcess(string name, TemporaryDirectory directory, PeerProcess process, string configuration, int port, bool tls)
    {
        _name = name;
        _directory = directory;
        _process = process;
        _configuration = configuration;
        Port = port;
        Address = new Uri($"{(tls ? "https" : "http")}://127.0.0.1:{port}");
    }

    public int Port { get; }

    /// <summary>http(s)://127.0.0.1:port, as a channel addresses it.</summary>
    public Uri Address { get; }

    /// <summary>
    /// Writes the configuration that <paramref name="configure"/> makes for a port and the directory to
    /// <paramref name="configFile"/> in the directory, runs <paramref name="program"/> with the arguments
    /// <paramref name="arguments"/> makes for the directory, and returns once it accepts connections.
    /// </summary>
    public static async Task<ProxyProcess> StartAsync(
        string program,
        string configFile,
        bool tls,
        Func<int, TemporaryDirectory, string> configure,
        Func<TemporaryDirectory, IEnumerable<string>> arguments)
    {
        var directory = new TemporaryDirectory();
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                // Another process can take the port between this probe and the proxy's bind; the proxy then exits and
                // the next attempt takes another port.
                var port = FreePort();
                var configuration = configure(port, directory);
                File.WriteAllText(directory.File(configFile), configuration);
                var process = PeerProcess.Start(program, arguments(directory));
                var proxy = new ProxyProcess(program, directory, process, configuration, port, tls);
                if (await proxy.WaitUntilAcceptingAsync())
                {
                    return proxy;
                }

                var description = proxy.Describe();
                await process.DisposeAsync();
                if (attempt == StartAttempts || !description.Contains("Address already in use", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException($"{program} did not start. {description}");
                }
            }
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>Why <paramref name="program"/> cannot run here (with the package that fixes it), or null.</summary>
    public static string? CheckInstalled(string program, string versionFlag, string package)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, versionFlag) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            return process.WaitForExit(TimeSpan.FromSeconds(10)) && process.ExitCode == 0 ? null : $"{program} {versionFlag} failed (apt-get install -y {package}).";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return $"{program} is not installed (apt-get install -y {package}).";
        }
    }

    /// <summary>The configuration and the program's output (its error log), for an assertion message.</summary>
    public string Describe() => $"{_name} on port {Port}, configured as:{Environment.NewLine}{_configuration}{Environment.NewLine}{_process.Describe()}";

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _directory.Dispose();
    }

    private async Task<bool> WaitUntilAcceptingAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < s_startTimeout)
        {
            if (_process.HasExited)
            {
                return false;
            }

            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, Port);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"{_name} did not accept connections within {s_startTimeout.TotalSeconds:0} s. {Describe()}");
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
