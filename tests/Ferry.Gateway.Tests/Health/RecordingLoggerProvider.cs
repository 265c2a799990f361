using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Tests.Health;

/// <summary>Keeps every log entry of a gateway, for tests that check what it logged (and that it logged no errors).</summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    /// <summary>The health checker's entries with <paramref name="eventId"/>.</summary>
    public IEnumerable<LogEntry> Of(int eventId) =>
        Entries.Where(e => e.EventId.Id == eventId && e.Category.StartsWith("Ferry.Gateway.Health.", StringComparison.Ordinal));

    public void Clear() => Entries.Clear();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);

    private sealed class Logger(RecordingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception));
    }
}
