using System.Security.Authentication;
using Ferry.Grpc.AspNetCore.Hosting;
using Ferry.Grpc.Client;
using Ferry.Grpc.Security;
using Ferry.Grpc.Testing;
using Ferry.Interop;
using Grpc.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Ferry.Grpc.Tests.Tls;

/// <summary>
/// Ferry client to Ferry server over real TLS on loopback: what the server saw of the connection (TLS version,
/// ALPN, HTTP version, client certificate) is recorded by a middleware and checked after a call.
/// </summary>
public sealed class TlsConnectionTests(TestCertificates certificates) : IClassFixture<TestCertificates>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TlsNegotiatesH2WithAlpn()
    {
        var seen = await CallAsync(certificates.ServerTls(), certificates.ClientTls());

        Assert.True(seen.IsHttps);
        Assert.Equal("h2", seen.ApplicationProtocol);
        Assert.Equal("HTTP/2", seen.HttpProtocol);
        Assert.True(seen.TlsProtocol >= SslProtocols.Tls12, $"TLS version {seen.TlsProtocol}");
        Assert.Null(seen.ClientCertificateThumbprint);
    }

    [Fact]
    public async Task MutualTlsPresentsTheClientCertificate()
    {
        var seen = await CallAsync(certificates.ServerTls(requireClientCertificate: true), certificates.ClientTls(presentClientCertificate: true));

        Assert.Equal("h2", seen.ApplicationProtocol);
        Assert.Equal(certificates.Client.Thumbprint, seen.ClientCertificateThumbprint);
    }

    /// <summary>The certificate names only localhost; the channel dials 127.0.0.1 and checks the name localhost.</summary>
    [Fact]
    public async Task ServerNameOverrideAcceptsANameOnTheCertificateWhileDialingAnAddress()
    {
        using var localhostOnly = DevelopmentCertificates.Create(["localhost"], TimeSpan.FromDays(1));
        var seen = await CallAsync(
            new ServerTlsOptions { Certificate = localhostOnly.Server, ClientCertificateAuthorities = [localhostOnly.Ca] },
            new ClientTlsOptions { TrustedCertificates = [localhostOnly.Ca], ServerNameOverride = "localhost", ClientCertificate = localhostOnly.Client });

        // Like gRPC's ssl_target_name_override, the name also becomes the :authority (and the SNI).
        Assert.Equal("localhost", seen.Authority);
        Assert.Equal("h2", seen.ApplicationProtocol);
        Assert.Equal(localhostOnly.Client.Thumbprint, seen.ClientCertificateThumbprint);
    }

    /// <summary>All interop cases over TLS and mutual TLS between Ferry's client and server.</summary>
    [Theory]
    [MemberData(nameof(InteropCases))]
    public async Task InteropCaseOverTls(bool mutual, string testCase)
    {
        await using var server = await GrpcTestServer.StartAsync(s => s
            .AddService<TestServiceImpl>()
            .UseTls(certificates.ServerTls(requireClientCertificate: mutual))
            .WithChannelOptions(new GrpcChannelOptions { Tls = certificates.ClientTls(presentClientCertificate: mutual) })
            .WithGrpcOptions(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024)).WaitAsync(s_timeout);
        Assert.Equal("https", server.Address.Scheme);

        await new InteropClient(server.Channel.CreateCallInvoker()).RunCaseAsync(testCase).WaitAsync(s_timeout);
    }

    public static TheoryData<bool, string> InteropCases
    {
        get
        {
            var data = new TheoryData<bool, string>();
            foreach (var mutual in new[] { false, true })
            {
                foreach (var testCase in InteropClient.AllCases)
                {
                    data.Add(mutual, testCase);
                }
            }

            return data;
        }
    }

    private static async Task<SeenConnection> CallAsync(ServerTlsOptions serverTls, ClientTlsOptions clientTls)
    {
        var seen = new TaskCompletionSource<SeenConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await GrpcTestServer.StartAsync(s => s
            .AddService<TestServiceImpl>()
            .UseTls(serverTls)
            .WithChannelOptions(new GrpcChannelOptions { Tls = clientTls })
            .WithApp(app => app.Use((context, next) =>
            {
                seen.TrySetResult(Describe(context));
                return next(context);
            }))).WaitAsync(s_timeout);

        await new TestService.TestServiceClient(server.Channel.CreateCallInvoker()).EmptyCallAsync(new Empty()).ResponseAsync.WaitAsync(s_timeout);
        return await seen.Task.WaitAsync(s_timeout);
    }

    private static SeenConnection Describe(HttpContext context)
    {
        var handshake = context.Features.Get<ITlsHandshakeFeature>();
        var alpn = context.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol;
        return new SeenConnection(
            context.Request.IsHttps,
            context.Request.Protocol,
            alpn is { } protocol ? System.Text.Encoding.ASCII.GetString(protocol.Span) : null,
            handshake?.Protocol ?? SslProtocols.None,
            context.Request.Host.Value,
            context.Connection.ClientCertificate?.Thumbprint);
    }

    private sealed record SeenConnection(
        bool IsHttps,
        string HttpProtocol,
        string? ApplicationProtocol,
        SslProtocols TlsProtocol,
        string? Authority,
        string? ClientCertificateThumbprint);
}
