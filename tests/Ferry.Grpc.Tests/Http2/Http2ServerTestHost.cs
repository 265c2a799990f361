using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Ferry.Grpc.Http2;

namespace Ferry.Grpc.Tests.Http2;

/// <summary>
/// Serves <see cref="Http2ServerConnection"/>s on a loopback port: each accepted socket becomes a duplex pipe over its
/// NetworkStream, as Kestrel would hand over a transport; with <c>sendOnSocket</c> the connection sends its responses
/// on the socket itself, as the gateway's plaintext listeners do. Disposing aborts what is still running and waits for it.
/// </summary>
internal sealed class Http2ServerTestHost : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IHttp2StreamHandler _handler;
    private readonly Http2ServerOptions _options;
    private readonly int? _sendBufferSize;
    private readonly bool _sendOnSocket;
    private readonly Channel<ServedConnection> _accepted = Channel.CreateUnbounded<ServedConnection>();
    private readonly List<ServedConnection> _connections = [];
    private readonly Task _accepting;

    public Http2ServerTestHost(IHttp2StreamHandler handler, Http2ServerOptions? options = null, int? sendBufferSize = null, bool sendOnSocket = false)
    {
        _handler = handler;
        _options = options ?? new Http2ServerOptions();
        _sendBufferSize = sendBufferSize;
        _sendOnSocket = sendOnSocket;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public Uri Uri => new($"http://127.0.0.1:{Port}/");

    /// <summary>Every connection accepted so far.</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_connections)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>The next connection accepted (in order of acceptance).</summary>
    public Task<ServedConnection> NextConnectionAsync() => _accepted.Reader.ReadAsync().AsTask().WaitAsync(Timeout);

    /// <summary>An HttpClient speaking h2c with prior knowledge to this host.</summary>
    public HttpClient CreateHttpClient(Action<SocketsHttpHandler>? configure = null)
    {
        var handler = new SocketsHttpHandler();
        configure?.Invoke(handler);
        return new HttpClient(handler)
        {
            BaseAddress = Uri,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout,
        };
    }

    /// <summary>Ferry's own client on a fresh connection to this host.</summary>
    public async Task<Http2ClientConnection> ConnectFerryClientAsync(Http2ClientOptions? options = null)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, Port);
        return await Http2ClientConnection.ConnectAsync(client.GetStream(), options ?? new Http2ClientOptions(), TimeProvider.System, CancellationToken.None)
            .WaitAsync(Timeout);
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync();
                socket.NoDelay = true;
                if (_sendBufferSize is { } size)
                {
                    socket.SendBufferSize = size;
                }

                var stream = new NetworkStream(socket, ownsSocket: true);
                var connection = new Http2ServerConnection(
                    new DuplexPipe(PipeReader.Create(stream), PipeWriter.Create(stream)), _options, _handler, TimeProvider.System, _sendOnSocket ? socket : null);
                var served = new ServedConnection(connection, ServeAsync(connection, stream));
                lock (_connections)
                {
                    _connections.Add(served);
                }

                _accepted.Writer.TryWrite(served);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The listener stopped.
        }
    }

    private static async Task ServeAsync(Http2ServerConnection connection, NetworkStream stream)
    {
        await Task.Yield();
        try
        {
            await connection.RunAsync();
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _accepting;
        ServedConnection[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        foreach (var served in connections)
        {
            served.Connection.Abort("The test host is shutting down.");
        }

        foreach (var served in connections)
        {
            await served.Run.WaitAsync(Timeout);
            await served.Connection.DisposeAsync();
        }
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}

/// <summary>A connection accepted by <see cref="Http2ServerTestHost"/> and the task serving it.</summary>
internal sealed record ServedConnection(Http2ServerConnection Connection, Task Run);
