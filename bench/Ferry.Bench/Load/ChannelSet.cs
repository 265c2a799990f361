using Ferry.Grpc.Client;
using Grpc.Testing;

namespace Ferry.Bench.Load;

/// <summary>
/// <see cref="LoadOptions.Connections"/> channels, each with its own handler and a single HTTP/2 connection
/// (multiple connections per handler are off, and every load fits the server's stream limit), so N channels are
/// exactly N TCP connections. <see cref="ConnectAsync"/> opens them all before a run starts.
/// </summary>
internal sealed class ChannelSet : IDisposable
{
    private readonly GrpcChannel[] _channels;

    public ChannelSet(LoadOptions options, int count)
    {
        var channelOptions = new GrpcChannelOptions
        {
            EnableMultipleHttp2Connections = false,
            MaxReceiveMessageSize = 64 * 1024 * 1024,
        };
        _channels = new GrpcChannel[count];
        for (var i = 0; i < count; i++)
        {
            _channels[i] = GrpcChannel.ForAddress($"http://{options.Host}:{options.Port}", channelOptions);
        }

        Clients = _channels.Select(c => new TestService.TestServiceClient(c)).ToArray();
    }

    public IReadOnlyList<TestService.TestServiceClient> Clients { get; }

    /// <summary>One empty call per channel, all at once, so every connection is up before measuring.</summary>
    public Task ConnectAsync() => Task.WhenAll(Clients.Select(async client => await client.EmptyCallAsync(new Empty())));

    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }
    }
}
