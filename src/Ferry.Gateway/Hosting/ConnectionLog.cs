using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Hosting;

internal static partial class ConnectionLog
{
    [LoggerMessage(1, LogLevel.Information,
        "Closed the HTTP/2 connection from {Peer} on listener '{Listener}' for a protocol error ({ErrorCode}): {Reason}")]
    public static partial void ProtocolError(ILogger logger, string? peer, string listener, string errorCode, string reason);
}
