using System.CommandLine;
using Ferry.Grpc.Security;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry certs</c>: a development CA with a server and a client certificate, as PEM files.</summary>
internal static class CertsCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "Directory to write the PEM files to.", DefaultValueFactory = _ => new DirectoryInfo("certs") };
        var names = new Option<string[]>("--name", "-n") { Description = "DNS name or IP address the server certificate is valid for (repeatable).", DefaultValueFactory = _ => ["localhost", "127.0.0.1", "::1"], AllowMultipleArgumentsPerToken = true };
        var days = new Option<int>("--days") { Description = "Validity in days.", DefaultValueFactory = _ => 365 };
        var force = new Option<bool>("--force") { Description = "Overwrite existing files." };
        var command = new Command("certs", "Write a development CA, a server certificate and a client certificate (PEM) for TLS and mutual TLS.")
        {
            output, names, days, force,
        };
        command.SetAction(parse =>
        {
            var validity = parse.GetValue(days);
            if (validity <= 0)
            {
                Console.Error.WriteLine("--days must be a positive number of days.");
                return 2;
            }

            using var bundle = DevelopmentCertificates.Create(parse.GetValue(names)!, TimeSpan.FromDays(validity));
            try
            {
                foreach (var path in bundle.WritePem(parse.GetValue(output)!.FullName, parse.GetValue(force)))
                {
                    Console.WriteLine($"wrote {path}");
                }
            }
            catch (IOException ex)
            {
                Console.Error.WriteLine($"{ex.Message} (use --force to overwrite)");
                return 1;
            }

            Console.WriteLine($"server certificate names: {string.Join(", ", parse.GetValue(names)!)}; valid {validity} days");
            return 0;
        });
        return command;
    }
}
