using Microsoft.Extensions.Logging;

namespace Ferry.Grpc.AspNetCore.Hosting;

/// <summary>Log messages of keepalive enforcement (category <c>Ferry.Grpc.KeepAlive</c>).</summary>
internal static partial class KeepAliveLog
{
    public const string Category = "Ferry.Grpc.KeepAlive";

    [LoggerMessage(1, LogLevel.Debug, "Connection {ConnectionId}: ping strike {Strikes} ({MaxPingStrikes} tolerated).", EventName = "PingStrike")]
    public static partial void PingStrike(ILogger logger, string connectionId, int strikes, int maxPingStrikes);

    [LoggerMessage(2, LogLevel.Information, "Connection {ConnectionId}: too many pings ({Strikes} strikes); sending GOAWAY ENHANCE_YOUR_CALM \"too_many_pings\" and closing in {GracePeriod}.", EventName = "TooManyPings")]
    public static partial void TooManyPings(ILogger logger, string connectionId, int strikes, TimeSpan gracePeriod);

    [LoggerMessage(3, LogLevel.Debug, "Connection {ConnectionId}: GOAWAY too_many_pings written (last stream {LastStreamId}).", EventName = "GoAwayWritten")]
    public static partial void GoAwayWritten(ILogger logger, string connectionId, int lastStreamId);

    [LoggerMessage(4, LogLevel.Debug, "Connection {ConnectionId}: closing after GOAWAY too_many_pings.", EventName = "ClosingAfterGoAway")]
    public static partial void Closing(ILogger logger, string connectionId);

    [LoggerMessage(5, LogLevel.Debug, "Connection {ConnectionId}: the client did not start with the HTTP/2 preface; keepalive enforcement is off for it.", EventName = "NotHttp2")]
    public static partial void NotHttp2(ILogger logger, string connectionId);

    [LoggerMessage(6, LogLevel.Trace, "Connection {ConnectionId}: PING received ({ActiveCalls} active calls).", EventName = "PingReceived")]
    public static partial void PingReceived(ILogger logger, string connectionId, int activeCalls);
}
