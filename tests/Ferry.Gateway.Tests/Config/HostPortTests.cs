using Ferry.Gateway.Config;

namespace Ferry.Gateway.Tests.Config;

public sealed class HostPortTests
{
    [Theory]
    [InlineData("127.0.0.1:50051")]
    [InlineData("[::1]:50051")]
    [InlineData("[fd00::1]:1")]
    [InlineData("backend.local:65535")]
    [InlineData("backend_1:8080")]
    [InlineData("localhost:80")]
    public void Endpoints(string address) => Assert.True(HostPort.IsEndpoint(address));

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:")]
    [InlineData(":50051")]
    [InlineData("127.0.0.1:0")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("127.0.0.1:+80")]
    [InlineData("::1:50051")]
    [InlineData("[127.0.0.1]:50051")]
    [InlineData("[::1]50051")]
    [InlineData("-backend:80")]
    [InlineData("back end:80")]
    [InlineData("a..b:80")]
    public void NotEndpoints(string address) => Assert.False(HostPort.IsEndpoint(address));

    [Theory]
    [InlineData("127.0.0.1:8080", true)]
    [InlineData("0.0.0.0:0", true)]
    [InlineData("[::]:443", true)]
    [InlineData("localhost:8080", false)]
    [InlineData("127.0.0.1", false)]
    public void ListenAddressesAreIpAndPort(string address, bool valid) =>
        Assert.Equal(valid, HostPort.TryParseListen(address, out _));
}
