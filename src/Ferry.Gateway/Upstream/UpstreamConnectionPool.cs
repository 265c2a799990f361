using System.Diagnostics.CodeAnalysis;
using System.Net;
using Ferry.Grpc.Http2;

namespace Ferry.Gateway.Upstream;

/// <summary>
/// The HTTP/2 connections to one endpoint. A call takes a stream on the first connection with room; when all are
/// full (the server's SETTINGS_MAX_CONCURRENT_STREAMS), another connection is dialed up to the cluster's maximum,
/// beyond which the call waits for a stream to end. One dial at a time: calls arriving meanwhile wait for it rather than
/// each dialing its own. Connections idle longer than the idle timeout are closed.
/// </summary>
internal sealed class UpstreamConnectionPool : IAsyncDisposable
{
    private readonly UpstreamDialer _dialer;
    private readonly int _maxConnections;
    private readonly TimeSpan _idleTimeout;
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private ITimer? _idleTimer;
    private readonly Action<Http2ClientConnection> _onCapacityChanged;
    private Http2ClientConnection[] _connections = [];
    private Task<Http2ClientConnection>? _dialing;
    private TaskCompletionSource? _capacity;
    private bool _disposed;

    public UpstreamConnectionPool(UpstreamDialer dialer, int maxConnections, TimeSpan idleTimeout, TimeProvider time)
    {
        _dialer = dialer;
        _maxConnections = maxConnections;
        _idleTimeout = idleTimeout;
        _onCapacityChanged = OnCapacityChanged;
        _time = time;
    }

    /// <summary>
    /// Opens a stream and queues its headers, sent with the stream's first write or <see cref="Http2ClientStream.Flush"/>
    /// (the caller does one of the two). Throws <see cref="UpstreamConnectException"/> when no connection could be
    /// made, or none had a free stream within the dial timeout, before any byte of the call was sent.
    /// </summary>
    /// <summary>
    /// Opens a stream on a connection that has room now, as <see cref="OpenStreamAsync"/> would; false when none has
    /// (the caller then waits in <see cref="OpenStreamAsync"/>).
    /// </summary>
    public bool TryOpenStream<TState>(Action<Http2HeaderWriter, TState> writeHeaders, TState state, [NotNullWhen(true)] out Http2ClientStream? stream)
    {
        foreach (var connection in Volatile.Read(ref _connections))
        {
            if (connection.TryOpenStream(writeHeaders, state, endStream: false, flush: false, out stream))
            {
                return true;
            }
        }

        stream = null;
        return false;
    }

    public async ValueTask<Http2ClientStream> OpenStreamAsync<TState>(Action<Http2HeaderWriter, TState> writeHeaders, TState state, CancellationToken cancellationToken)
    {
        long? waitingSince = null;
        Task? freed = null;
        while (true)
        {
            if (TryOpenStream(writeHeaders, state, out var stream))
            {
                return stream;
            }

            if (freed is not null)
            {
                // Every connection is at the backend's stream limit and no more may be opened: wait for a stream to
                // end, for as long as a dial may take; an endpoint that stays full sends the call elsewhere.
                waitingSince ??= _time.GetTimestamp();
                var left = _dialer.DialTimeout - _time.GetElapsedTime(waitingSince.Value);
                try
                {
                    await freed.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    throw new UpstreamConnectException(
                        $"all {_maxConnections} connection(s) to {_dialer.Address} that connection.max_connections allows are at the backend's concurrent stream limit, and none freed a stream within {_dialer.DialTimeout.TotalMilliseconds:0} ms")
                    { EndpointFailed = false };
                }

                freed = null;
                continue;
            }

            Task dialing;
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                RemoveUnusable();
                if (_dialing is not null)
                {
                    dialing = _dialing;
                }
                else if (_connections.Length < _maxConnections)
                {
                    _dialing = Task.Run(DialAsync);
                    dialing = _dialing;
                }
                else
                {
                    // Armed before the connections are tried again, so a stream ending in between is not missed.
                    _capacity ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    freed = _capacity.Task;
                    continue;
                }
            }

            await dialing.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<Http2ClientConnection> DialAsync()
    {
        try
        {
            var connection = await _dialer.ConnectAsync().ConfigureAwait(false);
            connection.CapacityChanged += _onCapacityChanged;
            lock (_lock)
            {
                if (_disposed)
                {
                    _ = connection.DisposeAsync().AsTask();
                    throw new ObjectDisposedException(nameof(UpstreamConnectionPool));
                }

                _connections = [.. _connections, connection];
                if (_idleTimer is null)
                {
                    // Started with the first connection: a pool that never dials costs no timer.
                    var period = TimeSpan.FromTicks(Math.Clamp(_idleTimeout.Ticks / 2, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerSecond * 30));
                    _idleTimer = _time.CreateTimer(static s => ((UpstreamConnectionPool)s!).CloseIdleConnections(), this, period, period);
                }
            }

            return connection;
        }
        finally
        {
            lock (_lock)
            {
                _dialing = null;
            }
        }
    }

    private void OnCapacityChanged(Http2ClientConnection connection)
    {
        TaskCompletionSource? waiters;
        lock (_lock)
        {
            if (!connection.IsUsable)
            {
                RemoveUnusable();
            }

            waiters = _capacity;
            _capacity = null;
        }

        waiters?.TrySetResult();
    }

    /// <summary>Drops failed and draining connections from the list (under the lock); draining ones close themselves.</summary>
    private void RemoveUnusable()
    {
        if (!Array.Exists(_connections, c => !c.IsUsable))
        {
            return;
        }

        foreach (var connection in _connections)
        {
            // Seen once: the connection leaves the pool right after.
            if (!connection.IsUsable && connection.TooManyPings)
            {
                _dialer.OnTooManyPings();
            }
        }

        _connections = Array.FindAll(_connections, c => c.IsUsable);
    }

    private void CloseIdleConnections()
    {
        List<Http2ClientConnection>? idle = null;
        lock (_lock)
        {
            foreach (var connection in _connections)
            {
                if (connection.IdleFor >= _idleTimeout)
                {
                    (idle ??= []).Add(connection);
                }
            }

            if (idle is not null)
            {
                _connections = Array.FindAll(_connections, c => !idle.Contains(c));
            }
        }

        foreach (var connection in idle ?? [])
        {
            _ = connection.DisposeAsync().AsTask();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http2ClientConnection[] connections;
        lock (_lock)
        {
            _disposed = true;
            connections = _connections;
            _connections = [];
            _capacity?.TrySetException(new ObjectDisposedException(nameof(UpstreamConnectionPool)));
        }

        _idleTimer?.Dispose();
        foreach (var connection in connections)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
