using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Diagnostics;

/// <summary>
/// One structured line per call under the "Ferry.Gateway.AccessLog" category. The fields are logging-scope-free
/// structured values, so the JSON console formatter emits them as properties.
/// </summary>
internal static partial class AccessLog
{
    public const string Category = "Ferry.Gateway.AccessLog";

    [LoggerMessage(1, LogLevel.Information, "{Method} route={Route} cluster={Cluster} endpoint={Endpoint} grpc_status={GrpcStatus} duration_ms={DurationMs:0.###} bytes_in={BytesIn} bytes_out={BytesOut} msgs_in={MessagesIn} msgs_out={MessagesOut} attempts={Attempts} peer={Peer}")]
    public static partial void Call(ILogger logger, string method, string route, string cluster, string endpoint, int grpcStatus, double durationMs, long bytesIn, long bytesOut, long messagesIn, long messagesOut, int attempts, string peer);
}
