using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Ferry.Gateway.Upstream;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>
/// The gateway's upstream dialer for tests: plain TCP, but every connection it opened can be cut at once with a TCP
/// reset, which is what the gateway sees when a backend process is killed.
/// </summary>
internal sealed class KillableConnector : IUpstreamConnector
{
    private readonly ConcurrentDictionary<Socket, byte> _sockets = new();

    public int Connections => _sockets.Count;

    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            _sockets[socket] = 0;
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Resets every upstream connection (linger 0, so the close sends RST rather than FIN).</summary>
    public void KillAll()
    {
        foreach (var socket in _sockets.Keys)
        {
            _sockets.TryRemove(socket, out _);
            try
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            catch (ObjectDisposedException)
            {
            }

            socket.Dispose();
        }
    }
}
