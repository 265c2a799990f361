using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Ferry.Grpc.Tests.Tls;

/// <summary>A logger provider that keeps warnings and errors of one category, with a way to await the first.</summary>
internal sealed class WarningCapture(string category) : ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<string> _messages = new();
    private readonly TaskCompletionSource<string> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyCollection<string> Messages => _messages;

    public Task<string> FirstAsync(TimeSpan timeout) => _first.Task.WaitAsync(timeout);

    public ILogger CreateLogger(string categoryName) =>
        categoryName == category ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            var message = formatter(state, exception);
            _messages.Enqueue(message);
            _first.TrySetResult(message);
        }
    }

    public void Dispose()
    {
    }
}
