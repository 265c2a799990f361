using Ferry.Grpc;
using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Forwarding;

internal static partial class ForwarderLog
{
    [LoggerMessage(100, LogLevel.Warning, "Connecting to {Endpoint} failed: {Reason}")]
    public static partial void ConnectFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(101, LogLevel.Information, "Retrying {Path} on {Next} after {Endpoint} failed to take it (attempt {Attempt}).")]
    public static partial void Retrying(ILogger logger, string path, string endpoint, string next, int attempt);

    [LoggerMessage(102, LogLevel.Warning, "Call {Path} to {Endpoint} failed with {StatusCode}.")]
    public static partial void BackendFailed(ILogger logger, string path, string endpoint, StatusCode statusCode, Exception exception);

    [LoggerMessage(104, LogLevel.Information, "{Endpoint} did not take {Path}: {Reason}")]
    public static partial void NotTaken(ILogger logger, string path, string endpoint, string reason);

    [LoggerMessage(105, LogLevel.Debug, "Sending {Path} again on {Next}: {Endpoint} closed its connection before taking the stream ({Reason}).")]
    public static partial void Resending(ILogger logger, string path, string endpoint, string next, string reason);

    [LoggerMessage(103, LogLevel.Debug, "Client cancelled {Path} (backend {Endpoint}); backend stream reset.")]
    public static partial void ClientCancelled(ILogger logger, string path, string endpoint);
}
