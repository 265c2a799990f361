using System.Net;
using Ferry.Grpc.Testing;
using Grpc.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.Grpc.Tests.Faults;

/// <summary>gRPC needs HTTP/2: HTTP/1.1 requests are refused, and never disturb the HTTP/2 connection beside them.</summary>
public sealed class Http1Tests
{
    private static readonly TimeSpan T = FaultHarness.Timeout;

    [Fact]
    public async Task An_http1_request_to_the_grpc_endpoint_is_refused_at_the_connection()
    {
        // The gRPC listener speaks HTTP/2 only; an HTTP/1.1 request there never reaches a handler.
        await using var harness = await FaultHarness.StartAsync();
        await using var bystander = await harness.OpenBystanderAsync();
        using var http1 = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = T };
        using var request = new RawRequest("/grpc.testing.TestService/UnaryCall", RawRequest.Frame(new SimpleRequest())) { Version = HttpVersion.Version11 }.ToMessage(harness.Server.Address);
        using var response = await http1.SendAsync(request).WaitAsync(T);

        // Kestrel answers the HTTP/1.x request line itself, with 400, and closes that connection.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpVersion.Version11, response.Version);
        Assert.True(response.Headers.ConnectionClose);
        Assert.Contains("HTTP/2 only", await response.Content.ReadAsStringAsync().WaitAsync(T));
        Assert.False(harness.Probe.Finished.Task.IsCompleted);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    [Fact]
    public async Task An_http1_request_on_a_listener_that_allows_it_gets_426()
    {
        await using var harness = await FaultHarness.StartAsync(configure: b => b.WithKestrel(k =>
            k.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http1)));
        await using var bystander = await harness.OpenBystanderAsync();
        var http1Address = harness.Server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a))
            .Single(a => a.Port != harness.Server.Address.Port);

        using var http1 = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = T };
        using var request = new RawRequest("/grpc.testing.TestService/UnaryCall", RawRequest.Frame(new SimpleRequest())) { Version = HttpVersion.Version11 }
            .ToMessage(new Uri($"http://127.0.0.1:{http1Address.Port}"));
        using var response = await http1.SendAsync(request).WaitAsync(T);
        var raw = await RawResponse.ReadAsync(response).WaitAsync(T);
        Assert.Equal(426, raw.HttpStatus);
        Assert.Equal(HttpVersion.Version11, raw.Version);
        Assert.Equal(StatusCode.Internal, raw.GrpcStatus);
        Assert.Contains("HTTP/2", raw.GrpcMessage);
        Assert.Empty(raw.Body);
        await harness.AssertConnectionSurvivedAsync(bystander);
    }
}
