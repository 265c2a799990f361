using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Ferry.Grpc.Tests.KeepAlive;

/// <summary>
/// Keeps the names of the events logged under one category, to check what the server decided and to wait for it
/// (a sync point instead of a sleep).
/// </summary>
internal sealed class LogCapture(string category) : ILoggerProvider
{
    private readonly Lock _sync = new();
    private readonly List<string> _events = [];
    private readonly List<(string Name, int Count, TaskCompletionSource Seen)> _waiters = [];

    public IReadOnlyList<string> EventNames
    {
        get
        {
            lock (_sync)
            {
                return [.. _events];
            }
        }
    }

    public int Count(string eventName) => EventNames.Count(name => name == eventName);

    /// <summary>Completes once <paramref name="count"/> events named <paramref name="eventName"/> have been logged.</summary>
    public Task WaitForAsync(string eventName, int count = 1)
    {
        lock (_sync)
        {
            if (_events.Count(name => name == eventName) >= count)
            {
                return Task.CompletedTask;
            }

            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((eventName, count, seen));
            return seen.Task;
        }
    }

    public ILogger CreateLogger(string categoryName) =>
        categoryName == category ? new Logger(this) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void Dispose()
    {
    }

    private void Add(string eventName)
    {
        lock (_sync)
        {
            _events.Add(eventName);
            var total = _events.Count(name => name == eventName);
            foreach (var waiter in _waiters.Where(w => w.Name == eventName && total >= w.Count).ToList())
            {
                waiter.Seen.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    private sealed class Logger(LogCapture capture) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            capture.Add(eventId.Name ?? eventId.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
