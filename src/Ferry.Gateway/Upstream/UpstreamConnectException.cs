namespace Ferry.Gateway.Upstream;

/// <summary>No connection to an endpoint could be made; nothing of the call was sent, so it may go elsewhere.</summary>
internal sealed class UpstreamConnectException(string message, Exception? inner = null) : IOException(message, inner);
