using System.Net;
using System.Net.Sockets;
using Ferry.Grpc.AspNetCore;
using Ferry.Grpc.Client;
using Ferry.Grpc.Testing;
using Ferry.Interop;
using Grpc.Testing;

namespace Ferry.Grpc.Tests.Faults;

/// <summary>
/// A real server with the interop TestService and the <see cref="FaultServiceImpl"/>, and one
/// <see cref="SocketsHttpHandler"/> shared by a raw <see cref="HttpClient"/> (to send malformed requests) and a
/// <see cref="GrpcChannel"/> (to prove the connection still serves other streams). Multiple HTTP/2 connections are
/// off and every dial is counted, so "same connection" is checked, not assumed.
/// </summary>
internal sealed class FaultHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private int _connections;

    private FaultHarness(GrpcTestServer server, FaultProbe probe, GrpcChannelOptions channelOptions)
    {
        Server = server;
        Probe = probe;
        Handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectCallback = ConnectAsync,
        };
        Http = new HttpClient(Handler, disposeHandler: false) { BaseAddress = server.Address, Timeout = Timeout };
        Channel = server.CreateChannel(channelOptions with { HttpHandler = Handler });
        TestClient = new TestService.TestServiceClient(Channel);
        FaultClient = new FaultService.FaultServiceClient(Channel);
    }

    public GrpcTestServer Server { get; }

    public FaultProbe Probe { get; }

    public SocketsHttpHandler Handler { get; }

    public HttpClient Http { get; }

    public GrpcChannel Channel { get; }

    public TestService.TestServiceClient TestClient { get; }

    public FaultService.FaultServiceClient FaultClient { get; }

    /// <summary>TCP connections the shared handler opened so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public static async Task<FaultHarness> StartAsync(
        Action<GrpcServerOptions>? grpc = null,
        GrpcChannelOptions? channel = null,
        Action<GrpcTestServerBuilder>? configure = null)
    {
        var probe = new FaultProbe();
        var server = await GrpcTestServer.StartAsync(builder =>
        {
            builder.AddService<TestServiceImpl>().AddService(new FaultServiceImpl(probe));
            if (grpc is not null)
            {
                builder.WithGrpcOptions(grpc);
            }

            configure?.Invoke(builder);
        }).WaitAsync(Timeout);
        return new FaultHarness(server, probe, channel ?? new GrpcChannelOptions());
    }

    /// <summary>Opens a bidi stream on the shared connection and checks it works; reuse it after the fault.</summary>
    public async Task<Bystander> OpenBystanderAsync()
    {
        var bystander = new Bystander(TestClient.FullDuplexCall());
        await bystander.PingPongAsync();
        return bystander;
    }

    /// <summary>Sends a hand-made HTTP/2 request and reads the whole response, trailers included.</summary>
    public async Task<RawResponse> SendAsync(RawRequest request, CancellationToken cancellationToken = default)
    {
        using var message = request.ToMessage(Server.Address);
        using var response = await Http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).WaitAsync(Timeout);
        return await RawResponse.ReadAsync(response).WaitAsync(Timeout);
    }

    /// <summary>Asserts that the fault left the connection serving other streams, and that no new one was dialled.</summary>
    public async Task AssertConnectionSurvivedAsync(Bystander bystander)
    {
        await bystander.PingPongAsync();
        var reply = await TestClient.UnaryCallAsync(new SimpleRequest { ResponseSize = 10 }).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal(10, reply.Payload.Body.Length);
        Assert.Equal(1, Connections);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            await Server.DisposeAsync().AsTask().WaitAsync(Timeout);
        }
        finally
        {
            Handler.Dispose();
        }
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
