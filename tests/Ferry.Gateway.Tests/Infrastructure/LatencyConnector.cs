using System.Collections.Concurrent;
using System.Net;
using Ferry.Gateway.Upstream;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>
/// The gateway's upstream dialer over a long path (<see cref="DelayedStream"/>): what the backend sends reaches the
/// gateway <c>delay</c> later, and the stream windows the gateway grants are noted.
/// </summary>
internal sealed class LatencyConnector(TimeSpan delay) : IUpstreamConnector
{
    /// <summary>Every stream WINDOW_UPDATE increment the gateway sent, in order.</summary>
    public ConcurrentQueue<uint> StreamWindowUpdates { get; } = new();

    public ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken) =>
        DelayedStream.ConnectAsync(endpoint, delay, granted: StreamWindowUpdates, grantedByPeer: null, cancellationToken);
}
