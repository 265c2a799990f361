using System.Net;
using System.Net.Sockets;
using Ferry.Gateway.Config;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc;
using Ferry.Grpc.AspNetCore.Hosting;
using Ferry.Grpc.Client;
using Ferry.Grpc.Security;
using Ferry.Grpc.Tests.Security;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// TLS from the gateway to a backend (cluster tls: ca, server_name): the backend's certificate is checked against
/// the endpoint's host or the configured server_name, never against the name the client used for the gateway.
/// </summary>
public sealed class UpstreamTlsTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();
    private readonly List<System.Security.Cryptography.X509Certificates.X509Certificate2> _certificates = [];

    [Fact]
    public async Task The_backend_certificate_is_checked_against_the_endpoint_host_not_the_clients_authority()
    {
        await using var backend = await StartTlsBackendAsync("127.0.0.1");
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Cluster("c", [backend.Endpoint()]) with { Tls = new UpstreamTlsConfig { Ca = CaFile } });

        // The client knows the gateway as gateway.test; the authority is passed on, but it is not the backend's name.
        using var channel = ChannelByName(gateway, "gateway.test");
        var reply = await new Probe.ProbeClient(channel).UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default);

        Assert.Equal("tls", reply.Backend);
        Assert.Equal($"gateway.test:{gateway.EndPoint.Port}", reply.Authority);
    }

    [Fact]
    public async Task Server_name_is_the_name_the_backend_certificate_must_carry()
    {
        await using var backend = await StartTlsBackendAsync("backend.internal");
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Cluster("c", [backend.Endpoint()]) with { Tls = new UpstreamTlsConfig { Ca = CaFile, ServerName = "backend.internal" } });

        var reply = await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default);
        Assert.Equal("tls", reply.Backend);
    }

    [Fact]
    public async Task A_backend_certificate_for_another_name_is_refused_with_unavailable()
    {
        await using var backend = await StartTlsBackendAsync("backend.internal");
        await using var gateway = await TestGateway.StartAsync(
            GatewayConfigs.Cluster("c", [backend.Endpoint()]) with { Tls = new UpstreamTlsConfig { Ca = CaFile } });

        var error = await Assert.ThrowsAsync<RpcException>(() => gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default));
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains(backend.Address, error.Status.Detail);
        Assert.Equal(0, backend.Probe.Requests);
    }

    public void Dispose()
    {
        foreach (var certificate in _certificates)
        {
            certificate.Dispose();
        }

        _directory.Dispose();
    }

    private string CaFile => _directory.File(CertificateBundle.CaFileName);

    private async Task<TestBackend> StartTlsBackendAsync(string name)
    {
        using (var bundle = DevelopmentCertificates.Create([name], TimeSpan.FromDays(1)))
        {
            bundle.WritePem(_directory.Path);
        }

        var certificate = PemCertificates.LoadCertificateWithKey(_directory.File(CertificateBundle.ServerFileName), _directory.File(CertificateBundle.ServerKeyFileName));
        _certificates.Add(certificate);
        return await TestBackend.StartAsync("tls", new ServerTlsOptions { Certificate = certificate });
    }

    /// <summary>A channel to the gateway under another host name (the dial still goes to 127.0.0.1).</summary>
    private static GrpcChannel ChannelByName(TestGateway gateway, string host) =>
        GrpcChannel.ForAddress($"http://{host}:{gateway.EndPoint.Port}", new GrpcChannelOptions
        {
            ConnectCallback = async (endpoint, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, endpoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        });
}
