using Ferry.Gateway.Config;
using Ferry.Gateway.Tests.Infrastructure;
using Ferry.Grpc.Testing;
using Ferry.Grpc.Tests.Interop;
using Ferry.Grpc.Tests.Proxies;
using Ferry.Interop;

namespace Ferry.Gateway.Tests.Forwarding;

/// <summary>
/// A proxy in front of the gateway, which forwards to Ferry's interop TestService: per proxy and security (plaintext:
/// h2c on every hop; TLS: TLS from the client to the proxy and from the proxy to the gateway's listener, the proxy
/// verifying the gateway's certificate).
/// </summary>
public sealed class ProxyFrontedGatewayFixture : ProxyFixtureBase
{
    private protected override string Upstream => "the gateway";

    private protected override async Task<ProxyChain> StartChainAsync(ProxyKind kind, TransportSecurity security)
    {
        var backend = await GrpcTestServer.StartAsync(s => s.AddService<TestServiceImpl>().WithGrpcOptions(o => o.MaxReceiveMessageSize = MaxMessageSize));
        TestGateway gateway;
        try
        {
            var cluster = new ClusterConfig { Name = "interop", Endpoints = [new EndpointConfig { Address = $"127.0.0.1:{backend.Address.Port}" }] };
            var listenerTls = security == TransportSecurity.Tls ? new ListenerTlsConfig { Cert = Certificates.ServerFile, Key = Certificates.ServerKeyFile } : null;
            gateway = await TestGateway.StartAsync(GatewayConfigs.Single(cluster, tls: listenerTls));
        }
        catch
        {
            await backend.DisposeAsync();
            throw;
        }

        return await FrontAsync(kind, security, gateway.EndPoint.Port, async () =>
        {
            await gateway.DisposeAsync();
            await backend.DisposeAsync();
        });
    }
}
