using System.Net.Sockets;
using Ferry.Gateway.Health;

namespace Ferry.Gateway.Tests.Health;

/// <summary>A failed check's reason comes from the transport exception's type, never from its message.</summary>
public sealed class ProbeClassificationTests
{
    [Fact]
    public void ARefusedConnectionIsConnectionRefused()
    {
        var exception = new HttpRequestException(HttpRequestError.ConnectionError, "any text", new SocketException((int)SocketError.ConnectionRefused));

        var result = ProbeTransportObserver.ClassifyException(exception);

        Assert.Equal(ProbeOutcome.ConnectionRefused, result.Outcome);
        Assert.Equal("connection refused", result.Describe());
        Assert.False(result.Passed);
    }

    [Fact]
    public void OtherSocketErrorsNameTheirCode()
    {
        var exception = new HttpRequestException(HttpRequestError.ConnectionError, "any text", new SocketException((int)SocketError.HostUnreachable));

        var result = ProbeTransportObserver.ClassifyException(exception);

        Assert.Equal(ProbeOutcome.ConnectionFailed, result.Outcome);
        Assert.Equal("connection failed (HostUnreachable)", result.Describe());
    }

    [Fact]
    public void ATlsFailureIsAConnectionFailure()
    {
        var result = ProbeTransportObserver.ClassifyException(new HttpRequestException(HttpRequestError.SecureConnectionError, "handshake"));

        Assert.Equal(ProbeOutcome.ConnectionFailed, result.Outcome);
        Assert.Contains("SecureConnectionError", result.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void ADisposedClusterPoolIsNoVerdict()
    {
        var result = ProbeTransportObserver.ClassifyException(new ObjectDisposedException(nameof(SocketsHttpHandler)));

        Assert.Equal(ProbeOutcome.Abandoned, result.Outcome);
    }
}
