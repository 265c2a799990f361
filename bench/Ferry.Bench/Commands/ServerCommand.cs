using System.CommandLine;
using System.Net;
using Ferry.Bench.Diagnostics;
using Ferry.Bench.Hosting;
using Microsoft.Extensions.Hosting;

namespace Ferry.Bench.Commands;

/// <summary><c>server</c>: the benchmark backend. Prints <c>LISTENING port ...</c> once it accepts calls.</summary>
internal static class ServerCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port to listen on (0 picks one).", DefaultValueFactory = _ => 0 };
        var host = new Option<string>("--host") { Description = "Address to bind.", DefaultValueFactory = _ => "127.0.0.1" };
        var allocations = new Option<bool>("--sample-allocations") { Description = "Sample allocations by type (GCAllocationTick) and print the top types on exit." };
        var command = new Command("server", "Serve grpc.testing.TestService on h2c with Kestrel tuned for benchmarking.") { port, host, allocations };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var sampler = parse.GetValue(allocations) ? new AllocationSampler() : null;
            var (app, bound) = await BenchBackend.StartAsync(IPAddress.Parse(parse.GetValue(host)!), parse.GetValue(port), new BenchBackendOptions(), cancellationToken);
            await using (app)
            {
                Console.WriteLine($"LISTENING {bound} {ProcessInfo.Describe()}");
                await app.WaitForShutdownAsync(cancellationToken);
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
