using System.Net;

namespace Ferry.Gateway.Upstream;

/// <summary>
/// Opens the byte stream to an endpoint. TCP by default; a tunnel (a connection an agent dialed in to the gateway)
/// can stand in for it without the forwarder changing.
/// </summary>
public interface IUpstreamConnector
{
    ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken);
}
