using System.CommandLine;
using Ferry.Cli.Demo;
using Ferry.Cli.Runtime;
using Ferry.Gateway.Config;
using Ferry.Gateway.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry gateway</c>: from a YAML file (watched and reloaded), from command-line flags, or with no arguments
/// as an embedded demo with built-in backends.
/// </summary>
internal static class GatewayCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config", "-c") { Description = "Gateway YAML file (watched; valid changes apply live)." };
        var check = new Option<bool>("--check") { Description = "Validate --config and exit: 0 if valid, 1 with every error otherwise." };
        var listen = new Option<string>("--listen") { Description = "Quick start: address to listen on.", DefaultValueFactory = _ => "127.0.0.1:8080" };
        var backends = new Option<string[]>("--backend", "-b") { Description = "Quick start: backend host:port[#weight] (repeatable).", AllowMultipleArgumentsPerToken = true };
        var lb = new Option<string>("--lb") { Description = "Quick start: load balancing (weighted_random, least_connections, round_robin, p2c_ewma).", DefaultValueFactory = _ => "weighted_random" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "Quick start: serve TLS with this certificate (PEM)." };
        var tlsKey = new Option<string?>("--tls-key") { Description = "Quick start: private key (PEM) for --tls-cert." };
        var clientCa = new Option<string?>("--client-ca") { Description = "Quick start: require client certificates from this CA (mutual TLS)." };
        var admin = new Option<string?>("--admin") { Description = "Quick start: separate admin listener (HTTP/1.1) for /metrics." };
        var command = new Command("gateway", "Run the gRPC gateway: a transparent proxy with routing, load balancing, health checks, limits and metrics. Without arguments it runs a demo with built-in backends.")
        {
            config, check, listen, backends, lb, tlsCert, tlsKey, clientCa, admin,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            GatewayRuntimeDefaults.Apply();
            if (parse.GetValue(config) is { } file)
            {
                return await RunFromFileAsync(file, parse.GetValue(check), cancellationToken);
            }

            if (parse.GetValue(check))
            {
                Console.Error.WriteLine("--check needs --config FILE.");
                return 2;
            }

            var quick = new QuickStartSettings(parse.GetValue(listen)!, parse.GetValue(backends) ?? [], parse.GetValue(lb)!, parse.GetValue(tlsCert), parse.GetValue(tlsKey), parse.GetValue(clientCa), parse.GetValue(admin));
            try
            {
                return quick.Backends.Count == 0
                    ? await RunDemoAsync(quick, cancellationToken)
                    : await RunAsync(quick.ToConfig(quick.Backends), "command line", watch: null, cancellationToken);
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine(ex.Message);
                return 2;
            }
        });
        return command;
    }

    private static async Task<int> RunFromFileAsync(FileInfo file, bool checkOnly, CancellationToken cancellationToken)
    {
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        ConfigLoadResult result;
        GatewayConfigProvider? provider = null;
        if (checkOnly)
        {
            result = GatewayConfigLoader.LoadFile(file.FullName);
        }
        else
        {
            provider = GatewayConfigProvider.TryCreate(file.FullName, loggers.CreateLogger<GatewayConfigProvider>(), out result);
        }

        using (provider)
        {
            foreach (var warning in result.Warnings)
            {
                Console.Error.WriteLine($"warning: {warning}");
            }

            if (!result.Success)
            {
                foreach (var error in result.Errors)
                {
                    Console.Error.WriteLine(error);
                }

                Console.Error.WriteLine($"{file.FullName}: {result.Errors.Count} error(s); configuration refused.");
                return 1;
            }

            if (checkOnly)
            {
                Console.WriteLine($"{file.FullName}: valid ({result.Config!.Listeners.Count} listener(s), {result.Config.Clusters.Count} cluster(s)).");
                return 0;
            }

            return await RunAsync(provider!.Current, file.FullName, provider, cancellationToken);
        }
    }

    private static async Task<int> RunDemoAsync(QuickStartSettings quick, CancellationToken cancellationToken)
    {
        await using var first = await DemoBackend.StartAsync(cancellationToken);
        await using var second = await DemoBackend.StartAsync(cancellationToken);
        var config = quick with { LoadBalancing = quick.LoadBalancing == "weighted_random" ? "least_connections" : quick.LoadBalancing };
        var gatewayConfig = config.ToConfig([first.EndPoint + "#1", second.EndPoint + "#1"]);
        // Printed once listening, so a port of 0 shows the one the system chose.
        string Banner(GatewayHost host)
        {
            var endPoint = host.GetListenerEndPoint(gatewayConfig.Listeners[0].Name);
            return $"""
                Ferry gateway demo: {endPoint} -> cluster 'default' (least_connections) -> built-in backends {first.EndPoint} and {second.EndPoint}
                Each backend serves grpc.testing.TestService (the gRPC interop service) and grpc.health.v1.Health.
                Try it:
                  ./ferry interop-client --server_port {endPoint.Port}                       # all 18 interop cases through the gateway
                  curl -s --http2-prior-knowledge http://{endPoint}/metrics     # Prometheus metrics
                Press Ctrl+C to stop.
                """;
        }

        return await RunAsync(gatewayConfig, "embedded demo", watch: null, cancellationToken, Banner);
    }

    private static async Task<int> RunAsync(
        GatewayConfig config, string source, GatewayConfigProvider? watch, CancellationToken cancellationToken, Func<GatewayHost, string>? banner = null)
    {
        GatewayHost host;
        try
        {
            host = await GatewayHost.StartAsync(config, cancellationToken: cancellationToken);
        }
        catch (GatewayConfigException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 1;
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine($"Could not start listening ({source}): {ex.Message}");
            return 1;
        }

        await using (host)
        {
            using var reloads = watch is null ? null : ConfigReloader.Connect(watch, host);
            if (banner is not null)
            {
                Console.WriteLine(banner(host));
            }

            foreach (var listener in host.Config.Listeners)
            {
                Console.WriteLine($"listening: {listener.Name} on {host.GetListenerEndPoint(listener.Name)} ({(listener.Tls is null ? "h2c" : listener.Tls.ClientCa is null ? "TLS" : "mutual TLS")}) [{source}]");
            }

            await host.WaitForShutdownAsync(cancellationToken);
        }

        return 0;
    }
}
