namespace Ferry.Gateway.Upstream;

/// <summary>No connection to an endpoint could be made; nothing of the call was sent, so it may go elsewhere.</summary>
internal sealed class UpstreamConnectException(string message, Exception? inner = null) : IOException(message, inner)
{
    /// <summary>False when the endpoint works but is full (every connection at its stream limit): no back-off for it.</summary>
    public bool EndpointFailed { get; init; } = true;
}
