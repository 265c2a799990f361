using System.CommandLine;
using Ferry.Bench.Load;

namespace Ferry.Bench.Commands;

/// <summary>
/// <c>client</c>: the Ferry client as load generator. Runs the chosen scenarios in order and prints one
/// <c>RESULT</c> line each; exits 1 with <c>FAIL ...</c> on the first wrong status or byte count.
/// </summary>
internal static class ClientCommand
{
    private static readonly string[] Scenarios = ["unary", "pingpong", "stream", "bidi"];

    public static Command Create()
    {
        var host = new Option<string>("--host") { Description = "Server address.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Server port.", Required = true };
        var scenario = new Option<string>("--scenario") { Description = $"'all' or a comma-separated list of: {string.Join(", ", Scenarios)}.", DefaultValueFactory = _ => "all" };
        var connections = new Option<int>("--connections", "-c") { Description = "TCP connections (one channel each) for unary and ping-pong.", DefaultValueFactory = _ => 16 };
        var streams = new Option<int>("--streams", "-s") { Description = "Concurrent calls or streams per connection.", DefaultValueFactory = _ => 32 };
        var duration = new Option<double>("--duration") { Description = "Measured seconds of unary and ping-pong.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of load before measuring (0 also skips the bulk warm-up call).", DefaultValueFactory = _ => 2 };
        var payload = new Option<int>("--payload") { Description = "Payload bytes of the small messages.", DefaultValueFactory = _ => 100 };
        var messageSize = new Option<int>("--message-size") { Description = "Message payload of the bulk scenarios.", DefaultValueFactory = _ => 64 * 1024 };
        var streamMiB = new Option<int>("--stream-mib") { Description = "MiB in the server stream.", DefaultValueFactory = _ => 256 };
        var bidiMiB = new Option<int>("--bidi-mib") { Description = "MiB sent (and echoed) in the bidi echo.", DefaultValueFactory = _ => 64 };
        var repeat = new Option<int>("--repeat") { Description = "Bulk calls per scenario, back to back, all measured.", DefaultValueFactory = _ => 1 };
        var initialWarmup = new Option<double>("--initial-warmup") { Description = "Seconds of unmeasured unary load before the first scenario (JIT tiering of client and server).", DefaultValueFactory = _ => 0 };
        var serverPid = new Option<int?>("--server-pid") { Description = "The server's pid on this machine: report its CPU per call over each measured window." };
        var clockTicks = new Option<int>("--clock-ticks") { Description = "Clock ticks per second of /proc/PID/stat (getconf CLK_TCK).", DefaultValueFactory = _ => 100 };
        var command = new Command("client", "Load a TestService server with the Ferry client and report rates and latency percentiles.")
        {
            host, port, scenario, connections, streams, duration, warmup, payload, messageSize, streamMiB, bidiMiB, repeat,
            initialWarmup, serverPid, clockTicks,
        };
        command.SetAction(async parse =>
        {
            var chosen = parse.GetValue(scenario) is "all" ? Scenarios : parse.GetValue(scenario)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (chosen.Except(Scenarios).ToList() is { Count: > 0 } unknown)
            {
                Console.Error.WriteLine($"Unknown scenario(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", Scenarios)}.");
                return 2;
            }

            var options = new LoadOptions
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                Connections = parse.GetValue(connections),
                Streams = parse.GetValue(streams),
                Duration = TimeSpan.FromSeconds(parse.GetValue(duration)),
                Warmup = TimeSpan.FromSeconds(parse.GetValue(warmup)),
                PayloadSize = parse.GetValue(payload),
                MessageSize = parse.GetValue(messageSize),
                StreamBytes = parse.GetValue(streamMiB) * 1024L * 1024,
                BidiBytes = parse.GetValue(bidiMiB) * 1024L * 1024,
                Repeat = parse.GetValue(repeat),
                ServerPid = parse.GetValue(serverPid),
                ClockTicksPerSecond = parse.GetValue(clockTicks),
            };
            if (parse.GetValue(initialWarmup) is > 0 and var seconds)
            {
                try
                {
                    await UnaryLoad.RunAsync(options with { Warmup = TimeSpan.FromSeconds(seconds), Duration = TimeSpan.FromMilliseconds(100), Quiet = true });
                }
                catch (Exception ex)
                {
                    Console.WriteLine($"FAIL warm-up: {ex.Message}".ReplaceLineEndings(" "));
                    return 1;
                }
            }

            foreach (var name in chosen)
            {
                try
                {
                    await (name switch
                    {
                        "unary" => UnaryLoad.RunAsync(options),
                        "pingpong" => PingPongLoad.RunAsync(options),
                        "stream" => BulkLoad.RunServerStreamAsync(options),
                        _ => BulkLoad.RunBidiEchoAsync(options),
                    });
                }
                catch (Exception ex)
                {
                    Console.WriteLine($"FAIL {name}: {ex.Message}{(ex.InnerException is { } inner ? $" ({inner.GetType().Name}: {inner.Message})" : "")}".ReplaceLineEndings(" "));
                    return 1;
                }
            }

            return 0;
        });
        return command;
    }
}
