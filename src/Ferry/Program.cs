using System.CommandLine;
using Ferry.Cli.Commands;
using Ferry.Cli.Runtime;

SharedArrayPoolSize.Raise();
var root = new RootCommand("Ferry: a gRPC edge toolkit (gateway, tunnels, egress) on its own gRPC-over-HTTP/2 core.");
root.Subcommands.Add(GatewayCommand.Create());
root.Subcommands.Add(CertsCommand.Create());
root.Subcommands.Add(InteropServerCommand.Create());
root.Subcommands.Add(InteropClientCommand.Create());
return await root.Parse(args).InvokeAsync();
