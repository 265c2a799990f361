using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Health;

internal static partial class ActiveHealthLog
{
    [LoggerMessage(300, LogLevel.Warning, "Endpoint {Endpoint} of cluster {Cluster} is unhealthy after {Failures} failed health check(s): {Reason}. New calls avoid it until it passes again.")]
    public static partial void EndpointUnhealthy(ILogger logger, string cluster, string endpoint, int failures, string reason);

    [LoggerMessage(301, LogLevel.Information, "Endpoint {Endpoint} of cluster {Cluster} is healthy again after {Passes} passed health check(s).")]
    public static partial void EndpointHealthy(ILogger logger, string cluster, string endpoint, int passes);

    [LoggerMessage(302, LogLevel.Debug, "Health check of {Endpoint} in cluster {Cluster} failed ({Failures} in a row, {Threshold} take it out): {Reason}")]
    public static partial void CheckFailed(ILogger logger, string cluster, string endpoint, int failures, int threshold, string reason);

    [LoggerMessage(303, LogLevel.Debug, "Health checking cluster {Cluster} started: {Endpoints} endpoint(s) every {Interval}, timeout {Timeout}, service '{Service}'.")]
    public static partial void Started(ILogger logger, string cluster, int endpoints, TimeSpan interval, TimeSpan timeout, string service);

    [LoggerMessage(304, LogLevel.Debug, "Health checking cluster {Cluster} stopped.")]
    public static partial void Stopped(ILogger logger, string cluster);

    [LoggerMessage(305, LogLevel.Error, "Health checking endpoint {Endpoint} of cluster {Cluster} failed unexpectedly; checking goes on at the next interval.")]
    public static partial void LoopError(ILogger logger, string cluster, string endpoint, Exception exception);

    [LoggerMessage(306, LogLevel.Error, "Health checking endpoint {Endpoint} of cluster {Cluster} stopped unexpectedly; it keeps its last verdict.")]
    public static partial void LoopEnded(ILogger logger, string cluster, string endpoint, Exception exception);
}
