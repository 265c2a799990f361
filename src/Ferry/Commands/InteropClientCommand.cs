using System.CommandLine;
using Ferry.Grpc.Client;
using Ferry.Grpc.Security;
using Ferry.Interop;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry interop-client</c>: runs the standard interop cases against a TestService server.</summary>
internal static class InteropClientCommand
{
    public static Command Create()
    {
        var host = new Option<string>("--server_host") { Description = "Server host.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--server_port") { Description = "Server port.", Required = true };
        var cases = new Option<string>("--test_case") { Description = $"'all' or a comma-separated list of: {string.Join(", ", InteropClient.AllCases)}.", DefaultValueFactory = _ => "all" };
        var tls = new Option<bool>("--use_tls") { Description = "Connect with TLS." };
        var caFile = new Option<FileInfo?>("--ca_file") { Description = "CA certificates (PEM) to trust for the server certificate (default: the system's roots)." };
        var hostOverride = new Option<string?>("--server_host_override") { Description = "Name the server certificate must carry, when it differs from --server_host." };
        var clientCert = new Option<FileInfo?>("--client_cert") { Description = "Client certificate (PEM) for mutual TLS." };
        var clientKey = new Option<FileInfo?>("--client_key") { Description = "Client private key (PEM) for mutual TLS." };
        var command = new Command("interop-client", "Run the gRPC interop test cases against a TestService server.")
        {
            host, port, cases, tls, caFile, hostOverride, clientCert, clientKey,
        };
        command.SetAction(async parse =>
        {
            var names = parse.GetValue(cases) is "all" or null
                ? InteropClient.AllCases
                : parse.GetValue(cases)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var unknown = names.Except(InteropClient.AllCases).ToList();
            if (unknown.Count > 0)
            {
                Console.Error.WriteLine($"Unknown test case(s): {string.Join(", ", unknown)}. Known: {string.Join(", ", InteropClient.AllCases)}.");
                return 2;
            }

            ClientTlsOptions? tlsOptions = null;
            if (parse.GetValue(tls))
            {
                try
                {
                    tlsOptions = new ClientTlsOptions
                    {
                        TrustedCertificates = parse.GetValue(caFile) is { } ca ? PemCertificates.LoadCertificates(ca.FullName) : null,
                        ServerNameOverride = parse.GetValue(hostOverride),
                        ClientCertificate = (parse.GetValue(clientCert), parse.GetValue(clientKey)) switch
                        {
                            ({ } cert, { } key) => PemCertificates.LoadCertificateWithKey(cert.FullName, key.FullName),
                            (null, null) => null,
                            _ => throw new CertificateLoadException("--client_cert and --client_key go together: give both or neither.", ""),
                        },
                    };
                }
                catch (CertificateLoadException ex)
                {
                    Console.Error.WriteLine(ex.Message);
                    return 2;
                }
            }

            var scheme = tlsOptions is null ? "http" : "https";
            var hostName = parse.GetValue(host)!;
            var authority = hostName.Contains(':') && !hostName.StartsWith('[') ? $"[{hostName}]" : hostName;
            using var channel = GrpcChannel.ForAddress($"{scheme}://{authority}:{parse.GetValue(port)}", new GrpcChannelOptions { Tls = tlsOptions, MaxReceiveMessageSize = 16 * 1024 * 1024 });
            var client = new InteropClient(channel.CreateCallInvoker());
            var (passed, failed) = await client.RunAsync(names, Console.Out, TimeSpan.FromSeconds(30));
            Console.WriteLine($"{passed} passed, {failed} failed");
            return failed == 0 ? 0 : 1;
        });
        return command;
    }
}
