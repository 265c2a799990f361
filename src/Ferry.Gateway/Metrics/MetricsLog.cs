using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Metrics;

internal static partial class MetricsLog
{
    [LoggerMessage(1, LogLevel.Warning,
        "Instrument '{Instrument}' of meter '{Meter}' is not exported: its Prometheus name '{Name}' is already taken by a metric of another type or bucket layout.")]
    public static partial void NameConflict(ILogger logger, string instrument, string meter, string name);

    [LoggerMessage(2, LogLevel.Warning, "An observable instrument's callback failed during a metrics scrape.")]
    public static partial void ObservableCallbackFailed(ILogger logger, Exception exception);

    [LoggerMessage(3, LogLevel.Warning,
        "Instrument '{Instrument}' of meter '{Meter}' reached its limit of {Limit} series; measurements with new tag sets go to its otel_metric_overflow series.")]
    public static partial void SeriesLimitReached(ILogger logger, string instrument, string meter, int limit);

    [LoggerMessage(4, LogLevel.Debug, "Instrument '{Instrument}' of meter '{Meter}' has an unsupported type {Type} and is not exported.")]
    public static partial void UnsupportedInstrument(ILogger logger, string instrument, string meter, string type);
}
