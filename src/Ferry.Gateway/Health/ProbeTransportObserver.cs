using System.Net.Sockets;

namespace Ferry.Gateway.Health;

/// <summary>
/// Sits between a probe's channel and the cluster's handler and keeps the transport exception of a failed check,
/// so the probe can tell "connection refused" from other failures by exception type: the gRPC client reports
/// them all as UNAVAILABLE. One per endpoint; the endpoint's checks run one at a time.
/// </summary>
/// <remarks>
/// Never disposed: disposing a <see cref="DelegatingHandler"/> disposes its inner handler, which is the cluster's
/// connection pool and belongs to the cluster. It holds no resources of its own.
/// </remarks>
internal sealed class ProbeTransportObserver(HttpMessageHandler clusterHandler) : DelegatingHandler(clusterHandler)
{
    private Exception? _failure;

    /// <summary>Forgets the previous check's failure; called before each check.</summary>
    public void Reset() => Volatile.Write(ref _failure, null);

    /// <summary>What the last check's transport failure means, or null when the transport did not fail.</summary>
    public ProbeResult? Classify() => Volatile.Read(ref _failure) is { } failure ? ClassifyException(failure) : null;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Volatile.Write(ref _failure, ex);
            throw;
        }
    }

    internal static ProbeResult ClassifyException(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case ObjectDisposedException:
                    return new ProbeResult(ProbeOutcome.Abandoned);
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return new ProbeResult(ProbeOutcome.ConnectionRefused);
                case SocketException socket:
                    return new ProbeResult(ProbeOutcome.ConnectionFailed, socket.SocketErrorCode.ToString());
                case HttpProtocolException protocol:
                    return new ProbeResult(ProbeOutcome.ConnectionFailed, $"HTTP/2 error {protocol.ErrorCode}");
            }
        }

        return exception is HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } http
            ? new ProbeResult(ProbeOutcome.ConnectionFailed, http.HttpRequestError.ToString())
            : new ProbeResult(ProbeOutcome.ConnectionFailed, exception.GetType().Name);
    }
}
