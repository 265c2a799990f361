using Ferry.Grpc.Client;
using Ferry.Grpc.Testing;
using Ferry.Interop;
using Grpc.Testing;

namespace Ferry.Grpc.Tests.Proxies;

/// <summary>
/// Ferry's client through nginx when nginx ends connections: at its <c>keepalive_requests</c> (a GOAWAY with calls
/// in flight on the connection, as with nginx's default of 1000 at a high call rate) and at its idle timeout. Calls
/// nginx never took must go again on a new connection; calls it took must not be repeated.
/// </summary>
public sealed class FerryClientThroughNginxTests
{
    [NginxFact]
    public async Task Calls_carry_on_while_nginx_closes_connections_at_its_request_limit()
    {
        const int Calls = 2000;
        const int CallsPerConnection = 100;
        await using var server = await GrpcTestServer.StartAsync(s => s.AddService<TestServiceImpl>());
        await using var nginx = await NginxProxy.StartAsync(new NginxSite { UpstreamPort = server.Address.Port, KeepAliveRequests = CallsPerConnection });
        using var channel = GrpcChannel.ForAddress(nginx.Address);
        var client = new TestService.TestServiceClient(channel);

        var failures = new List<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Calls), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            try
            {
                await client.EmptyCallAsync(new Empty()).ResponseAsync.WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (Exception ex)
            {
                lock (failures)
                {
                    failures.Add($"call {i}: {ex.Message}");
                }
            }
        });

        Assert.True(failures.Count == 0, $"{failures.Count} of {Calls} calls failed:{Environment.NewLine}{string.Join(Environment.NewLine, failures.Take(10))}");
        var accepted = await nginx.AcceptedConnectionsAsync();
        Assert.True(accepted >= (Calls / CallsPerConnection) + 1, $"nginx accepted {accepted} connections; {Calls} calls at {CallsPerConnection} per connection need at least {(Calls / CallsPerConnection) + 1}.");
    }
}
