using System.Net;
using System.Net.Sockets;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>
/// A loopback port that is bound but not listening, held for the test: connecting to it is refused at once, and no
/// other process can take it meanwhile (unlike picking a port by listening and closing).
/// </summary>
internal sealed class ClosedPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public ClosedPort()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public string Address => $"127.0.0.1:{((IPEndPoint)_socket.LocalEndPoint!).Port}";

    public void Dispose() => _socket.Dispose();
}
