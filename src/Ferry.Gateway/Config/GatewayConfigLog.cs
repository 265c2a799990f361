using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Config;

/// <summary>Log messages of the configuration layer; event ids 100-199 are this component's.</summary>
internal static partial class GatewayConfigLog
{
    [LoggerMessage(100, LogLevel.Information, "Configuration reloaded from '{Source}': {Listeners} listener(s), {Clusters} cluster(s).")]
    public static partial void Reloaded(ILogger logger, string source, int listeners, int clusters);

    [LoggerMessage(101, LogLevel.Error, "Configuration reload from '{Source}' refused with {ErrorCount} error(s); the previous configuration stays in use.")]
    public static partial void ReloadRefused(ILogger logger, string source, int errorCount);

    [LoggerMessage(102, LogLevel.Error, "Configuration error: {Error}")]
    public static partial void ConfigError(ILogger logger, ConfigError error);

    [LoggerMessage(103, LogLevel.Warning, "Configuration warning: {Warning}")]
    public static partial void ConfigWarning(ILogger logger, string warning);

    [LoggerMessage(104, LogLevel.Debug, "Configuration file '{Source}' changed on disk but its content is the same; not reloaded.")]
    public static partial void Unchanged(ILogger logger, string source);

    [LoggerMessage(105, LogLevel.Warning, "Watching configuration file '{Source}' failed; changes may be missed until the next one.")]
    public static partial void WatcherFailed(ILogger logger, string source, Exception exception);

    [LoggerMessage(106, LogLevel.Error, "A configuration change handler failed.")]
    public static partial void ChangeHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(107, LogLevel.Information, "SIGHUP received; reloading configuration from '{Source}'.")]
    public static partial void SighupReceived(ILogger logger, string source);

    [LoggerMessage(108, LogLevel.Warning, "Reloading on SIGHUP is not supported on this platform.")]
    public static partial void SighupUnsupported(ILogger logger);

    [LoggerMessage(109, LogLevel.Error, "Reloading configuration from '{Source}' failed unexpectedly; the previous configuration stays in use.")]
    public static partial void ReloadFailed(ILogger logger, string source, Exception exception);
}
