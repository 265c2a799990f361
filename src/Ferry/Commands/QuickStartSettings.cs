using Ferry.Gateway.Config;

namespace Ferry.Cli.Commands;

/// <summary>The one-route configuration <c>ferry gateway --listen ... --backend ...</c> stands for.</summary>
internal sealed record QuickStartSettings(string Listen, IReadOnlyList<string> Backends, string LoadBalancing, string? TlsCert, string? TlsKey, string? ClientCa, string? Admin)
{
    public GatewayConfig ToConfig(IReadOnlyList<string> backends) => new()
    {
        Source = "command line",
        Listeners =
        [
            new ListenerConfig
            {
                Name = "default",
                Address = Listen,
                Tls = TlsCert is null && TlsKey is null ? null : new ListenerTlsConfig { Cert = TlsCert ?? "", Key = TlsKey ?? "", ClientCa = ClientCa },
                Routes = [new RouteConfig { Name = "default", Cluster = "default" }],
            },
        ],
        Clusters =
        [
            new ClusterConfig
            {
                Name = "default",
                LoadBalancing = LoadBalancing,
                Endpoints = backends.Select(ParseEndpoint).ToList(),
            },
        ],
        Admin = Admin is null ? null : new AdminConfig { Address = Admin },
    };

    /// <summary>synapsor's shorthand: host:port, optionally #weight.</summary>
    private static EndpointConfig ParseEndpoint(string value)
    {
        var hash = value.LastIndexOf('#');
        if (hash < 0)
        {
            return new EndpointConfig { Address = value };
        }

        return int.TryParse(value.AsSpan(hash + 1), out var weight)
            ? new EndpointConfig { Address = value[..hash], Weight = weight }
            : throw new ArgumentException($"--backend '{value}': the weight after '#' must be a whole number.");
    }
}
