using System.Text.RegularExpressions;
using Ferry.Tests.Infrastructure;

namespace Ferry.Tests;

/// <summary>
/// The ahead-of-time compiled ferry: what trimming could break (service binding, YAML, TLS, the interop client's
/// messages) works in it, end to end over real sockets.
/// </summary>
[Collection(NativeFerryCollection.Name)]
public sealed partial class NativeBuildTests(NativeFerry ferry) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("ferry-native-test-");

    [Fact]
    public async Task The_demo_gateway_passes_every_interop_case_and_stops_cleanly_on_SIGTERM()
    {
        await using var gateway = FerryProcess.Start(ferry.Path, "gateway", "--listen", "127.0.0.1:0");
        var port = await gateway.WaitForLineAsync(ListeningLine(), Timeout);

        var (exitCode, output) = await FerryProcess.RunAsync(ferry.Path, Timeout, "interop-client", "--server_port", port);

        Assert.True(exitCode == 0, output);
        Assert.Contains("18 passed, 0 failed", output);
        gateway.Terminate();
        Assert.Equal(0, await gateway.WaitForExitAsync(Timeout));
    }

    [Fact]
    public async Task A_TLS_gateway_with_certificates_from_ferry_certs_passes_the_interop_cases()
    {
        var certs = Path.Combine(_directory.FullName, "certs");
        var (certsExit, certsOutput) = await FerryProcess.RunAsync(ferry.Path, Timeout, "certs", "--out", certs);
        Assert.True(certsExit == 0, certsOutput);
        await using var gateway = FerryProcess.Start(
            ferry.Path, "gateway", "--listen", "127.0.0.1:0",
            "--tls-cert", Path.Combine(certs, "server.pem"), "--tls-key", Path.Combine(certs, "server-key.pem"));
        var port = await gateway.WaitForLineAsync(ListeningLine(), Timeout);

        var (exitCode, output) = await FerryProcess.RunAsync(
            ferry.Path, Timeout, "interop-client", "--server_port", port, "--use_tls",
            "--ca_file", Path.Combine(certs, "ca.pem"), "--server_host_override", "localhost",
            "--test_case", "large_unary,client_streaming,server_streaming,ping_pong,status_code_and_message,custom_metadata");

        Assert.True(exitCode == 0, output);
        Assert.Contains("6 passed, 0 failed", output);
    }

    [Fact]
    public async Task Check_accepts_a_valid_file_and_names_the_line_and_field_of_an_invalid_one()
    {
        // The same file twice, the second with a policy that does not exist (on line 9).
        var valid = Write("valid.yaml", Config("least_connections"));
        var invalid = Write("invalid.yaml", Config("fastest"));

        var (validExit, validOutput) = await FerryProcess.RunAsync(ferry.Path, Timeout, "gateway", "--check", "--config", valid);
        var (invalidExit, invalidOutput) = await FerryProcess.RunAsync(ferry.Path, Timeout, "gateway", "--check", "--config", invalid);

        Assert.True(validExit == 0, validOutput);
        Assert.Equal(1, invalidExit);
        Assert.Contains("invalid.yaml:9", invalidOutput);
        Assert.Contains("load_balancing", invalidOutput);
        Assert.Contains("unknown policy 'fastest'", invalidOutput);
    }

    public void Dispose() => _directory.Delete(recursive: true);

    [GeneratedRegex(@"^listening: \S+ on 127\.0\.0\.1:(\d+) ")]
    private static partial Regex ListeningLine();

    private static string Config(string loadBalancing) => $"""
        listeners:
          - name: public
            address: 127.0.0.1:8080
            routes:
              - name: all
                cluster: backends
        clusters:
          - name: backends
            load_balancing: {loadBalancing}
            endpoints: [ "127.0.0.1:50051#3", "127.0.0.1:50052" ]
        """;

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(_directory.FullName, name);
        File.WriteAllText(path, yaml);
        return path;
    }
}
