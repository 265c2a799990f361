using System.CommandLine;
using Ferry.Bench.Commands;
using Ferry.Cli.Runtime;

// Ferry's benchmark program. bench/core.sh and bench/gateway.sh drive it; each mode also runs on its own:
//   Ferry.Bench server  --port 50051                       a tuned TestService backend
//   Ferry.Bench gateway --listen 8080 --backend 50051      the gateway (GatewayHost) in front of it
//   Ferry.Bench client  --port 50051 --scenario all        the Ferry client as load generator
//   Ferry.Bench bodies  --out DIR                          request bodies for h2load -d
SharedArrayPoolSize.Raise();
var root = new RootCommand("Ferry benchmarks: backend, gateway host, client load generator, h2load request bodies.");
root.Subcommands.Add(ServerCommand.Create());
root.Subcommands.Add(GatewayCommand.Create());
root.Subcommands.Add(ClientCommand.Create());
root.Subcommands.Add(BodiesCommand.Create());
return await root.Parse(args).InvokeAsync();
