using System.CommandLine;
using Ferry.Bench.Diagnostics;
using Ferry.Bench.Hosting;
using Ferry.Cli.Runtime;
using Ferry.Gateway.Config;
using Ferry.Gateway.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Bench.Commands;

/// <summary>
/// <c>gateway</c>: the Ferry gateway (<see cref="GatewayHost"/>, as <c>ferry gateway</c> runs it) with one route to
/// one backend, the access log off (as nginx's and HAProxy's are in the comparison) and /metrics on an admin port.
/// Everything else is the shipped default.
/// </summary>
internal static class GatewayCommand
{
    public static Command Create()
    {
        var listen = new Option<int>("--listen") { Description = "Port for gRPC clients (127.0.0.1).", Required = true };
        var backend = new Option<string>("--backend") { Description = "Backend host:port.", Required = true };
        var admin = new Option<int?>("--admin") { Description = "Port for /metrics (127.0.0.1); none by default." };
        var accessLog = new Option<bool>("--access-log") { Description = "Keep the access log on (off by default, as in the proxies compared)." };
        var allocations = new Option<bool>("--sample-allocations") { Description = "Sample allocations by type (GCAllocationTick) and print the top types on exit." };
        var command = new Command("gateway", "Run the Ferry gateway in front of one backend for benchmarking.") { listen, backend, admin, accessLog, allocations };
        command.SetAction(async (parse, cancellationToken) =>
        {
            GatewayRuntimeDefaults.Apply();
            var config = new GatewayConfig
            {
                Source = "Ferry.Bench",
                Listeners =
                [
                    new ListenerConfig
                    {
                        Name = "bench",
                        Address = $"127.0.0.1:{parse.GetValue(listen)}",
                        Routes = [new RouteConfig { Name = "all", Cluster = "backend" }],
                    },
                ],
                Clusters = [new ClusterConfig { Name = "backend", Endpoints = [new EndpointConfig { Address = parse.GetValue(backend)! }] }],
                Admin = parse.GetValue(admin) is { } adminPort ? new AdminConfig { Address = $"127.0.0.1:{adminPort}" } : null,
                AccessLog = new AccessLogConfig { Enabled = parse.GetValue(accessLog) },
            };
            var options = new GatewayHostOptions
            {
                ConfigureLogging = logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning),
            };
            using var sampler = parse.GetValue(allocations) ? new AllocationSampler() : null;
            await using (var host = await GatewayHost.StartAsync(config, options, cancellationToken))
            {
                Console.WriteLine($"LISTENING {host.GetListenerEndPoint("bench").Port} {ProcessInfo.Describe()}");
                await host.WaitForShutdownAsync(cancellationToken);
            }

            if (sampler is not null)
            {
                Console.WriteLine(sampler.Report(top: 30));
            }

            return 0;
        });
        return command;
    }
}
