using Microsoft.Extensions.Logging;

namespace Ferry.Grpc.AspNetCore.Server;

internal static partial class GrpcServerLog
{
    [LoggerMessage(1, LogLevel.Error, "Error when executing service method '{Method}'.")]
    public static partial void HandlerFailed(ILogger logger, string method, Exception exception);

    [LoggerMessage(2, LogLevel.Debug, "Call '{Method}' exceeded its deadline of {Deadline:O}.")]
    public static partial void DeadlineExceeded(ILogger logger, string method, DateTime deadline);

    [LoggerMessage(3, LogLevel.Information, "Refused request to '{Path}': {Reason}")]
    public static partial void RequestRefused(ILogger logger, string path, string reason);

    [LoggerMessage(4, LogLevel.Debug, "Call '{Method}' ended with status {StatusCode}: {Detail}")]
    public static partial void CallFailed(ILogger logger, string method, StatusCode statusCode, string detail);

    [LoggerMessage(5, LogLevel.Debug, "Call '{Method}' was cancelled by the client or its connection closed.")]
    public static partial void CallCancelled(ILogger logger, string method);

    [LoggerMessage(6, LogLevel.Information, "Unimplemented gRPC call to '{Path}'.")]
    public static partial void Unimplemented(ILogger logger, string path);
}
