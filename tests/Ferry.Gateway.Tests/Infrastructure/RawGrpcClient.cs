using System.Net;
using System.Net.Sockets;
using Ferry.Grpc.Client;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>
/// One <see cref="SocketsHttpHandler"/> shared by a raw <see cref="HttpClient"/> (hand-made requests) and a
/// <see cref="GrpcChannel"/> (real calls beside them), with one HTTP/2 connection at most and every dial counted,
/// so "the other streams on the same connection carry on" is checked, not assumed.
/// </summary>
internal sealed class RawGrpcClient : IDisposable
{
    private int _connections;

    public RawGrpcClient(Uri address)
    {
        Address = address;
        Handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectCallback = ConnectAsync,
        };
        Http = new HttpClient(Handler, disposeHandler: false) { Timeout = TestTimeouts.Default };
        Channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = Handler });
        Client = new Probe.ProbeClient(Channel);
    }

    public Uri Address { get; }

    public SocketsHttpHandler Handler { get; }

    public HttpClient Http { get; }

    public GrpcChannel Channel { get; }

    public Probe.ProbeClient Client { get; }

    /// <summary>TCP connections opened so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>
    /// A client whose connection to the gateway is already open (a GET the gateway refuses itself opened it). A gRPC
    /// client computes grpc-timeout before it dials, so on a cold connection the time to connect is added to every
    /// deadline the backend sees; tests that compare deadlines start warm.
    /// </summary>
    public static async Task<RawGrpcClient> ConnectedAsync(Uri address)
    {
        var client = new RawGrpcClient(address);
        await client.SendAsync(new RawGrpcRequest("/", []) { Method = HttpMethod.Get });
        return client;
    }

    public async Task<RawGrpcResponse> SendAsync(RawGrpcRequest request)
    {
        using var message = request.ToMessage(Address);
        using var response = await Http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TestTimeouts.Default);
        return await RawGrpcResponse.ReadAsync(response);
    }

    public void Dispose()
    {
        Channel.Dispose();
        Http.Dispose();
        Handler.Dispose();
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _connections);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
