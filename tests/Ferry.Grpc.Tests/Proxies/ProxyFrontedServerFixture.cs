using Ferry.Grpc.Testing;
using Ferry.Grpc.Tests.Interop;
using Ferry.Interop;

namespace Ferry.Grpc.Tests.Proxies;

/// <summary>
/// Ferry's interop server in process behind a proxy, per proxy and security (plaintext: h2c on both of the proxy's
/// sides; TLS: TLS on both, the proxy verifying Ferry's certificate).
/// </summary>
public sealed class ProxyFrontedServerFixture : ProxyFixtureBase
{
    private protected override string Upstream => "Ferry's server";

    private protected override async Task<ProxyChain> StartChainAsync(ProxyKind kind, TransportSecurity security)
    {
        var server = await GrpcTestServer.StartAsync(s =>
        {
            s.AddService<TestServiceImpl>().WithGrpcOptions(o => o.MaxReceiveMessageSize = MaxMessageSize);
            if (security == TransportSecurity.Tls)
            {
                s.UseTls(Certificates.ServerTls());
            }
        });
        return await FrontAsync(kind, security, server.Address.Port, server.DisposeAsync);
    }
}
