using System.Net;
using System.Net.Sockets;
using Ferry.Gateway.Upstream;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>
/// The gateway's upstream dialer with one endpoint that takes <paramref name="delay"/> to refuse (a backend behind a
/// slow network, or one whose SYN is answered late); every other endpoint is dialled over TCP as usual.
/// </summary>
internal sealed class SlowRefusingConnector(int refusedPort, TimeSpan delay) : IUpstreamConnector
{
    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        if (endpoint.Port == refusedPort)
        {
            await Task.Delay(delay, cancellationToken);
            throw new SocketException((int)SocketError.ConnectionRefused);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
