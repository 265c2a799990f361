using System.CommandLine;
using System.Net;
using Ferry.Grpc.AspNetCore;
using Ferry.Grpc.AspNetCore.Hosting;
using Ferry.Grpc.Security;
using Ferry.Interop;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry interop-server</c>: the standard grpc.testing.TestService.</summary>
internal static class InteropServerCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port to listen on (0 picks a free one; the chosen port is printed as 'LISTENING <port>').", DefaultValueFactory = _ => 0 };
        var host = new Option<string>("--host") { Description = "Address to bind.", DefaultValueFactory = _ => "127.0.0.1" };
        var tls = new Option<bool>("--use_tls") { Description = "Serve TLS (needs --cert and --key)." };
        var cert = new Option<FileInfo?>("--cert") { Description = "Server certificate (PEM)." };
        var key = new Option<FileInfo?>("--key") { Description = "Server private key (PEM)." };
        var clientCa = new Option<FileInfo?>("--client_ca") { Description = "CA certificates (PEM) that client certificates must chain to; makes client certificates required." };
        var command = new Command("interop-server", "Run the gRPC interop TestService (grpc.testing) server.")
        {
            port, host, tls, cert, key, clientCa,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            ServerTlsOptions? tlsOptions = null;
            if (parse.GetValue(tls))
            {
                if (parse.GetValue(cert) is not { } certFile || parse.GetValue(key) is not { } keyFile)
                {
                    Console.Error.WriteLine("--use_tls needs --cert and --key.");
                    return 2;
                }

                try
                {
                    tlsOptions = new ServerTlsOptions
                    {
                        Certificate = PemCertificates.LoadCertificateWithKey(certFile.FullName, keyFile.FullName),
                        ClientCertificateAuthorities = parse.GetValue(clientCa) is { } ca ? PemCertificates.LoadCertificates(ca.FullName) : null,
                    };
                }
                catch (CertificateLoadException ex)
                {
                    Console.Error.WriteLine(ex.Message);
                    return 2;
                }
            }

            if (!IPAddress.TryParse(parse.GetValue(host), out var address))
            {
                Console.Error.WriteLine($"--host '{parse.GetValue(host)}' is not an IP address.");
                return 2;
            }

            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, parse.GetValue(port), listen => listen.UseGrpc(tlsOptions)));
            builder.Services.AddFerryGrpc(options => options.MaxReceiveMessageSize = 16 * 1024 * 1024);
            await using var app = builder.Build();
            app.MapGrpcService<TestServiceImpl>();
            await app.StartAsync(cancellationToken);
            var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("[::]", "localhost", StringComparison.Ordinal));
            Console.WriteLine($"LISTENING {bound.Port}");
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
