using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Ferry.Grpc.Tests.Interop;
using Ferry.Grpc.Tests.Security;

namespace Ferry.Grpc.Tests.Proxies;

/// <summary>
/// nginx as users put it in front of gRPC services (<c>grpc_pass</c>, HTTP/2 on both sides), as a child process on a
/// free 127.0.0.1 port, with its configuration and logs in a temporary directory. nginx re-frames everything it
/// forwards (its own HPACK, DATA chunks, flow control and stream resets on each side), so a call that survives it
/// shows that Ferry speaks HTTP/2 as another real implementation reads it, not only as Ferry reads it.
/// Disposal kills nginx (master and worker) and deletes the directory.
/// </summary>
internal sealed class NginxProxy : IAsyncDisposable
{
    private const int StartAttempts = 3;
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(15);
    private static readonly Lazy<string?> s_unavailable = new(CheckNginx);

    private readonly TemporaryDirectory _directory;
    private readonly PeerProcess _process;
    private readonly string _configuration;

    private NginxProxy(TemporaryDirectory directory, PeerProcess process, string configuration, int port, bool tls)
    {
        _directory = directory;
        _process = process;
        _configuration = configuration;
        Port = port;
        Address = new Uri($"{(tls ? "https" : "http")}://127.0.0.1:{port}");
    }

    /// <summary>Why nginx cannot run here (with the package that fixes it), or null.</summary>
    public static string? UnavailableReason => s_unavailable.Value;

    public int Port { get; }

    public Uri Address { get; }

    /// <summary>Starts nginx for <paramref name="site"/> and returns once it accepts connections.</summary>
    public static async Task<NginxProxy> StartAsync(NginxSite site)
    {
        var directory = new TemporaryDirectory();
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                // Another process can take the port between this probe and nginx's bind; nginx then exits and the
                // next attempt takes another port.
                var port = FreePort();
                var configuration = Configuration(site, port, directory.Path);
                File.WriteAllText(directory.File("nginx.conf"), configuration);
                var process = PeerProcess.Start("nginx", ["-p", directory.Path, "-c", directory.File("nginx.conf"), "-e", "stderr"]);
                var proxy = new NginxProxy(directory, process, configuration, port, site.ListenerTls is not null);
                if (await proxy.WaitUntilAcceptingAsync())
                {
                    return proxy;
                }

                var description = proxy.Describe();
                await process.DisposeAsync();
                if (attempt == StartAttempts || !description.Contains("Address already in use", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"nginx did not start. {description}");
                }
            }
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Client connections nginx has accepted so far (its <c>stub_status</c> page), this query's own connection
    /// included: how a test sees that nginx closed connections (keepalive limits) and clients came back.
    /// </summary>
    public async Task<long> AcceptedConnectionsAsync()
    {
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        using var client = new HttpClient(handler)
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var status = await client.GetStringAsync(new Uri(Address, "/nginx_status"));

        // "Active connections: 1 \nserver accepts handled requests\n 16 16 31 \nReading: ..."
        var lines = status.Split('\n');
        return lines.Length > 2 && long.TryParse(lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(), CultureInfo.InvariantCulture, out var accepted)
            ? accepted
            : throw new InvalidOperationException($"Unexpected stub_status page: {status}");
    }

    /// <summary>The configuration and nginx's output (its error log), for an assertion message.</summary>
    public string Describe() => $"nginx on port {Port}, configured as:{Environment.NewLine}{_configuration}{Environment.NewLine}{_process.Describe()}";

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

        throw new TimeoutException($"nginx did not accept connections within {s_startTimeout.TotalSeconds:0} s. {Describe()}");
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static string Configuration(NginxSite site, int port, string directory)
    {
        var config = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        if (Environment.IsPrivilegedProcess)
        {
            // Workers would otherwise run as nobody, who cannot enter the temporary directory.
            config.AppendLine("user root;");
        }

        config.AppendLine("worker_processes 1;");
        config.AppendLine("daemon off;");
        config.AppendLine(invariant, $"pid {directory}/nginx.pid;");
        config.AppendLine("events { worker_connections 1024; }");
        config.AppendLine("http {");
        config.AppendLine("  access_log off;");
        foreach (var temp in new[] { "client_body", "proxy", "fastcgi", "uwsgi", "scgi" })
        {
            config.AppendLine(invariant, $"  {temp}_temp_path {directory}/{temp};");
        }

        config.AppendLine("  upstream ferry_upstream {");
        config.AppendLine(invariant, $"    server 127.0.0.1:{site.UpstreamPort};");
        if (site.UpstreamKeepAlive > 0)
        {
            config.AppendLine(invariant, $"    keepalive {site.UpstreamKeepAlive};");
        }

        config.AppendLine("  }");
        config.AppendLine("  server {");
        config.AppendLine(invariant, $"    listen 127.0.0.1:{port}{(site.ListenerTls is null ? "" : " ssl")} http2;");
        if (site.ListenerTls is { } listenerTls)
        {
            config.AppendLine(invariant, $"    ssl_certificate {listenerTls.ServerFile};");
            config.AppendLine(invariant, $"    ssl_certificate_key {listenerTls.ServerKeyFile};");
        }

        config.AppendLine("    client_max_body_size 0;");
        config.AppendLine(invariant, $"    keepalive_requests {site.KeepAliveRequests};");
        config.AppendLine(invariant, $"    keepalive_timeout {(long)site.KeepAliveTimeout.TotalMilliseconds}ms;");
        config.AppendLine(invariant, $"    http2_max_concurrent_streams {site.MaxConcurrentStreams};");
        config.AppendLine("    location = /nginx_status { stub_status; }");
        config.AppendLine("    location / {");
        config.AppendLine(invariant, $"      grpc_pass {(site.UpstreamTls is null ? "grpc" : "grpcs")}://ferry_upstream;");
        if (site.UpstreamTls is { } upstreamTls)
        {
            config.AppendLine(invariant, $"      grpc_ssl_trusted_certificate {upstreamTls.CaFile};");
            config.AppendLine("      grpc_ssl_verify on;");
            config.AppendLine("      grpc_ssl_name localhost;");
            config.AppendLine("      grpc_ssl_server_name on;");
        }

        config.AppendLine("    }");
        config.AppendLine("  }");
        config.AppendLine("}");
        return config.ToString();
    }

    private static string? CheckNginx()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("nginx", "-v") { RedirectStandardError = true, UseShellExecute = false })!;
            process.StandardError.ReadToEnd();
            return process.WaitForExit(TimeSpan.FromSeconds(10)) && process.ExitCode == 0 ? null : "nginx -v failed (apt-get install -y nginx-light).";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "nginx is not installed (apt-get install -y nginx-light).";
        }
    }
}
