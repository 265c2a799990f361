using System.Globalization;
using System.Text.RegularExpressions;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Google.Protobuf;

namespace Ferry.Gateway.Tests.Metrics;

/// <summary>
/// The gateway's own call metrics, scraped from /metrics after real calls through it: calls by route, cluster,
/// endpoint and status, the duration histogram, body bytes by route (counted from what the client sent and got) and
/// streams in flight.
/// </summary>
public sealed class GatewayCallMetricsTests
{
    [Fact]
    public async Task Calls_statuses_durations_and_bytes_are_counted_per_route()
    {
        await using var backend = await TestBackend.StartAsync("a");
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Cluster("c", backend));

        long requestBytes = 0;
        long responseBytes = 0;
        for (var i = 0; i < 3; i++)
        {
            var request = new ProbeRequest { Payload = ByteString.CopyFrom(new byte[100 * (i + 1)]) };
            var reply = await gateway.Client.UnaryAsync(request).ResponseAsync.WaitAsync(TestTimeouts.Default);
            requestBytes += Framed(request);
            responseBytes += Framed(reply);
        }

        var failing = new ProbeRequest { Action = "status", Code = (int)StatusCode.NotFound, Message = "no such thing" };
        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.UnaryAsync(failing).ResponseAsync.WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        requestBytes += Framed(failing);

        var metrics = await ScrapeAsync(gateway);
        var labels = $"cluster=\"c\",endpoint=\"{backend.Address}\"";
        Assert.Equal(3, Value(metrics, $"ferry_gateway_calls_total{{{labels},grpc_status=\"0\",route=\"{GatewayConfigs.Route}\"}}"));
        Assert.Equal(1, Value(metrics, $"ferry_gateway_calls_total{{{labels},grpc_status=\"5\",route=\"{GatewayConfigs.Route}\"}}"));
        Assert.Equal(4, Value(metrics, $"ferry_gateway_call_duration_seconds_count{{cluster=\"c\",route=\"{GatewayConfigs.Route}\"}}"));
        Assert.Equal(requestBytes, Value(metrics, $"ferry_gateway_request_bytes_total{{route=\"{GatewayConfigs.Route}\"}}"));
        Assert.Equal(responseBytes, Value(metrics, $"ferry_gateway_response_bytes_total{{route=\"{GatewayConfigs.Route}\"}}"));
        Assert.Equal(0, Value(metrics, $"ferry_gateway_active_streams{{route=\"{GatewayConfigs.Route}\"}}"));
    }

    [Fact]
    public async Task Streams_in_flight_are_counted_while_open_and_the_totals_survive_a_reload()
    {
        await using var backend = await TestBackend.StartAsync("a");
        var config = GatewayConfigs.Single(GatewayConfigs.Cluster("c", backend));
        await using var gateway = await TestGateway.StartAsync(config);

        using var first = gateway.Client.Duplex();
        using var second = gateway.Client.Duplex();
        foreach (var call in new[] { first, second })
        {
            await call.RequestStream.WriteAsync(new ProbeRequest { Sequence = 1 }).WaitAsync(TestTimeouts.Default);
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        }

        var route = $"ferry_gateway_active_streams{{route=\"{GatewayConfigs.Route}\"}}";
        Assert.Equal(2, Value(await ScrapeAsync(gateway), route));

        // A reload compiles the route anew; the streams begun before it still count, and end, against the same series.
        gateway.Host.Apply(config with { Source = "reloaded" });
        await first.RequestStream.CompleteAsync().WaitAsync(TestTimeouts.Default);
        Assert.False(await first.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        Assert.Equal(1, Value(await ScrapeAsync(gateway), route));

        await second.RequestStream.CompleteAsync().WaitAsync(TestTimeouts.Default);
        Assert.False(await second.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default));
        await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default);
        var metrics = await ScrapeAsync(gateway);
        Assert.Equal(0, Value(metrics, route));
        Assert.Equal(3, Value(metrics, $"ferry_gateway_call_duration_seconds_count{{cluster=\"c\",route=\"{GatewayConfigs.Route}\"}}"));
    }

    private static long Framed(IMessage message) => 5 + message.CalculateSize();

    private static async Task<string> ScrapeAsync(TestGateway gateway)
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri(gateway.Address, "/metrics")).WaitAsync(TestTimeouts.Default);
    }

    private static double Value(string metrics, string series)
    {
        var match = Regex.Match(metrics, "^" + Regex.Escape(series) + " (\\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no series {series} in:\n{metrics}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
