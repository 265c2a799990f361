using System.Net;
using System.Net.Sockets;

namespace Ferry.Gateway.Upstream;

/// <summary>Dials TCP with Nagle off: gRPC frames are already batched, and a held-back small frame is added latency.</summary>
internal sealed class TcpUpstreamConnector : IUpstreamConnector
{
    public static TcpUpstreamConnector Instance { get; } = new();

    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
