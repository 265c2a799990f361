using System.Globalization;
using System.Net;
using System.Text;
using Ferry.Grpc.Tests.Security;

namespace Ferry.Grpc.Tests.Proxies;

/// <summary>
/// nginx as users put it in front of gRPC services (<c>grpc_pass</c>, HTTP/2 on both sides). nginx re-frames
/// everything it forwards (its own HPACK, DATA chunks, flow control and stream resets on each side), so a call that
/// survives it shows that Ferry speaks HTTP/2 as another real implementation reads it, not only as Ferry reads it.
/// </summary>
internal sealed class NginxProxy : IGrpcProxy
{
    private static readonly Lazy<string?> s_unavailable = new(() => ProxyProcess.CheckInstalled("nginx", "-v", "nginx-light"));

    private readonly ProxyProcess _process;

    private NginxProxy(ProxyProcess process) => _process = process;

    /// <summary>Why nginx cannot run here (with the package that fixes it), or null.</summary>
    public static string? UnavailableReason => s_unavailable.Value;

    public int Port => _process.Port;

    public Uri Address => _process.Address;

    /// <summary>Starts nginx for <paramref name="site"/> and returns once it accepts connections.</summary>
    public static async Task<NginxProxy> StartAsync(NginxSite site) => new(await ProxyProcess.StartAsync(
        "nginx",
        "nginx.conf",
        site.ListenerTls is not null,
        (port, directory) => Configuration(site, port, directory.Path),
        directory => ["-p", directory.Path, "-c", directory.File("nginx.conf"), "-e", "stderr"]));

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

    public string Describe() => _process.Describe();

    public ValueTask DisposeAsync() => _process.DisposeAsync();

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
}
