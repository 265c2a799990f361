using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Ferry.Gateway.Config;
using Ferry.Gateway.Hosting;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Ferry.Grpc.Client;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// A backend or a client far away (40 ms round trip): a fixed 1 MiB stream window would cap a bulk transfer at one
/// window per round trip (25 MiB/s); the gateway measures the path with PINGs and grows the window of a stream whose
/// other side keeps reading.
/// </summary>
public sealed class WindowTuningTests(ITestOutputHelper output)
{
    private const int MessageSize = 256 * 1024;
    private const int MessageCount = 64;
    private static readonly TimeSpan RoundTrip = TimeSpan.FromMilliseconds(40);

    [Fact]
    public async Task A_bulk_response_from_a_distant_backend_gets_more_than_the_initial_window()
    {
        var connection = new ConnectionConfig();
        var updates = await StreamFromDistantBackendAsync(connection);

        // Credit alone never exceeds the window it returns to; only growth grants more in one update.
        Assert.Contains(updates, update => update > connection.InitialStreamWindow);
        Assert.All(updates, update => Assert.True(update <= connection.MaxStreamWindow, $"an update of {update} bytes"));
    }

    [Fact]
    public async Task A_maximum_equal_to_the_initial_window_keeps_windows_fixed()
    {
        var connection = new ConnectionConfig { MaxStreamWindow = new ConnectionConfig().InitialStreamWindow };
        var updates = await StreamFromDistantBackendAsync(connection);

        Assert.NotEmpty(updates);
        Assert.All(updates, update => Assert.True(update <= connection.InitialStreamWindow, $"an update of {update} bytes"));
    }

    [Fact]
    public async Task A_bulk_upload_from_a_distant_client_gets_more_than_the_initial_window()
    {
        await using var backend = await TestBackend.StartAsync("near");
        var hostOptions = new GatewayHostOptions();
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Single(GatewayConfigs.Cluster("c", backend)), hostOptions);
        var granted = new ConcurrentQueue<uint>();
        var channel = gateway.CreateChannel(new GrpcChannelOptions
        {
            ConnectCallback = (endpoint, cancellationToken) => DelayedStream.ConnectAsync(endpoint, RoundTrip, granted: null, grantedByPeer: granted, cancellationToken),
        });
        var client = new Probe.ProbeClient(channel);

        var clock = Stopwatch.StartNew();
        using var call = client.ClientStream();
        var payload = ByteString.CopyFrom(new byte[MessageSize]);
        for (var i = 0; i < MessageCount; i++)
        {
            await call.RequestStream.WriteAsync(new ProbeRequest { Payload = payload }).WaitAsync(TestTimeouts.Default);
        }

        await call.RequestStream.CompleteAsync();
        var reply = await call.ResponseAsync.WaitAsync(TestTimeouts.Default);
        Assert.Equal(((long)MessageCount * MessageSize).ToString(CultureInfo.InvariantCulture), reply.Text);
        var updates = granted.ToArray();
        output.WriteLine($"{MessageCount * MessageSize / (1024 * 1024)} MiB up in {clock.ElapsedMilliseconds} ms over a {RoundTrip.TotalMilliseconds} ms round trip; largest stream window update {updates.DefaultIfEmpty().Max()} bytes");

        Assert.Contains(updates, update => update > hostOptions.Http2StreamWindow);
        Assert.All(updates, update => Assert.True(update <= hostOptions.Http2MaxStreamWindow, $"an update of {update} bytes"));
    }

    private async Task<uint[]> StreamFromDistantBackendAsync(ConnectionConfig connection)
    {
        await using var backend = await TestBackend.StartAsync("far");
        var connector = new LatencyConnector(RoundTrip);
        var cluster = GatewayConfigs.Cluster("c", backend) with { Connection = connection };
        await using var gateway = await TestGateway.StartAsync(GatewayConfigs.Single(cluster), new GatewayHostOptions { Connector = connector });

        var clock = Stopwatch.StartNew();
        using var call = gateway.Client.ServerStream(new ProbeRequest { Action = "many", Count = MessageCount, Size = MessageSize });
        var bytes = 0L;
        while (await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(TestTimeouts.Default))
        {
            bytes += call.ResponseStream.Current.Payload.Length;
        }

        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal((long)MessageCount * MessageSize, bytes);
        var updates = connector.StreamWindowUpdates.ToArray();
        output.WriteLine($"{bytes / (1024 * 1024)} MiB in {clock.ElapsedMilliseconds} ms over a {RoundTrip.TotalMilliseconds} ms round trip; largest stream window update {updates.DefaultIfEmpty().Max()} bytes");
        return updates;
    }
}
