using System.Globalization;
using System.Text;

namespace Ferry.Grpc.Tests.Proxies;

/// <summary>
/// HAProxy as users put it in front of gRPC services: HTTP mode with HTTP/2 on both sides (<c>proto h2</c>, ALPN h2
/// with TLS), one upstream server, timeouts far beyond a test. HAProxy translates every HTTP/2 stream into its own
/// internal representation and back, trailers included, and multiplexes upstream streams on shared connections.
/// </summary>
internal sealed class HaproxyProxy : IGrpcProxy
{
    private static readonly Lazy<string?> s_unavailable = new(() => ProxyProcess.CheckInstalled("haproxy", "-v", "haproxy"));

    private readonly ProxyProcess _process;

    private HaproxyProxy(ProxyProcess process) => _process = process;

    /// <summary>Why HAProxy cannot run here (with the package that fixes it), or null.</summary>
    public static string? UnavailableReason => s_unavailable.Value;

    public int Port => _process.Port;

    public Uri Address => _process.Address;

    /// <summary>Starts HAProxy for <paramref name="site"/> and returns once it accepts connections.</summary>
    public static async Task<HaproxyProxy> StartAsync(ProxySite site) => new(await ProxyProcess.StartAsync(
        "haproxy",
        "haproxy.cfg",
        site.ListenerTls is not null,
        (port, directory) =>
        {
            if (site.ListenerTls is { } tls)
            {
                // HAProxy takes the certificate and its key from one file.
                File.WriteAllText(directory.File("server.pem"), File.ReadAllText(tls.ServerFile) + File.ReadAllText(tls.ServerKeyFile));
            }

            return Configuration(site, port, directory.File("server.pem"));
        },
        directory => ["-f", directory.File("haproxy.cfg"), "-db"]));

    public string Describe() => _process.Describe();

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static string Configuration(ProxySite site, int port, string serverPem)
    {
        var config = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        config.AppendLine("global");
        config.AppendLine("  maxconn 1000");
        config.AppendLine("defaults");
        config.AppendLine("  mode http");
        config.AppendLine("  timeout connect 5s");
        config.AppendLine("  timeout client 5m");
        config.AppendLine("  timeout server 5m");
        config.AppendLine("frontend grpc");
        config.AppendLine(invariant, $"  bind 127.0.0.1:{port} {(site.ListenerTls is null ? "proto h2" : $"ssl crt {serverPem} alpn h2")}");
        config.AppendLine("  default_backend upstream");
        config.AppendLine("backend upstream");
        var upstream = site.UpstreamTls is { } tls
            ? $"ssl verify required ca-file {tls.CaFile} verifyhost localhost sni str(localhost) alpn h2"
            : "proto h2";
        config.AppendLine(invariant, $"  server s1 127.0.0.1:{site.UpstreamPort} {upstream}");
        return config.ToString();
    }
}
