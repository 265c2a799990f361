using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Ferry.Gateway.Config;

/// <summary>
/// Holds the current configuration snapshot and replaces it when the file changes.
/// <code>
///   file event ─▶ debounce ─▶ read ─▶ same text? ─yes─▶ nothing
///   ReloadAsync / SIGHUP ──────▶ read ─┤no
///                                      ▼
///                        load + validate ─ok─▶ swap snapshot, signal change token, Reloaded(success)
///                                      └─errors─▶ keep snapshot, log every error,     Reloaded(failure)
/// </code>
/// The directory is watched rather than the file, so editors that save by writing a new file and renaming it
/// over the old one (and Kubernetes' ConfigMap symlink swaps) are seen; comparing the text keeps unrelated events
/// in the directory from causing reloads. Reloads run one at a time.
/// </summary>
/// <remarks>
/// Consumers use <c>ChangeToken.OnChange(provider.GetChangeToken, () => Apply(provider.Current))</c>: the token is
/// taken before the snapshot is read, and a swap publishes the new snapshot before signalling the old token, so no
/// change is missed.
/// </remarks>
internal sealed class GatewayConfigProvider : IDisposable
{
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly GatewayConfigProviderOptions _options;
    private readonly SemaphoreSlim _reloadLock = new(1, 1);
    private readonly FileSystemWatcher? _watcher;
    private readonly ITimer? _debounceTimer;
    private readonly PosixSignalRegistration? _sighup;
    private volatile Snapshot _snapshot;
    private string? _lastText;
    private int _reloadsSucceeded;
    private int _reloadsFailed;
    private volatile bool _disposed;

    private GatewayConfigProvider(string path, string text, GatewayConfig config, ILogger logger, GatewayConfigProviderOptions options)
    {
        _path = path;
        _lastText = text;
        _logger = logger;
        _options = options;
        _snapshot = new Snapshot(config);

        if (options.WatchFile)
        {
            _debounceTimer = options.TimeProvider.CreateTimer(_ => OnDebounceElapsed(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            _watcher = new FileSystemWatcher(directory)
            {
                IncludeSubdirectories = false,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite
                    | NotifyFilters.Size | NotifyFilters.CreationTime,
            };
            _watcher.Changed += OnFileEvent;
            _watcher.Created += OnFileEvent;
            _watcher.Deleted += OnFileEvent;
            _watcher.Renamed += OnFileEvent;
            _watcher.Error += OnWatcherError;
            _watcher.EnableRaisingEvents = true;
        }

        if (options.ReloadOnSighup)
        {
            try
            {
                _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSighup);
            }
            catch (PlatformNotSupportedException)
            {
                GatewayConfigLog.SighupUnsupported(_logger);
            }
        }
    }

    /// <summary>Raised after every reload attempt that read new text (or was asked for), with what it did.</summary>
    public event Action<ConfigReloadOutcome>? Reloaded;

    /// <summary>The snapshot in force; replaced whole on a successful reload.</summary>
    public GatewayConfig Current => _snapshot.Config;

    public int ReloadsSucceeded => Volatile.Read(ref _reloadsSucceeded);

    public int ReloadsFailed => Volatile.Read(ref _reloadsFailed);

    /// <summary>
    /// Loads <paramref name="path"/> and, when it is valid, returns a provider serving it and watching for changes;
    /// otherwise null, with the errors in <paramref name="initialLoad"/> (which the caller reports).
    /// </summary>
    public static GatewayConfigProvider? TryCreate(
        string path, ILogger<GatewayConfigProvider> logger, out ConfigLoadResult initialLoad, GatewayConfigProviderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(logger);
        if (!GatewayConfigLoader.TryReadFile(path, out var text, out initialLoad))
        {
            return null;
        }

        initialLoad = GatewayConfigLoader.LoadFileText(text, path);
        return initialLoad.Success ? new GatewayConfigProvider(path, text, initialLoad.Config, logger, options ?? new()) : null;
    }

    /// <summary>A token signalled when <see cref="Current"/> is replaced. Take it before reading <see cref="Current"/>.</summary>
    public IChangeToken GetChangeToken() => _snapshot.ChangeToken;

    /// <summary>Reloads now, even when the text has not changed (e.g. a certificate file it names appeared).</summary>
    public async Task<ConfigReloadOutcome> ReloadAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return (await ReloadCoreAsync(force: true, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Stops watching. Do not call it from a <see cref="Reloaded"/> handler: it waits for the reload in progress.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _watcher?.Dispose();
        _debounceTimer?.Dispose();
        _sighup?.Dispose();
        _reloadLock.Wait();
        try
        {
            _snapshot.Source.Dispose();
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e) => ScheduleReload();

    private void OnWatcherError(object sender, ErrorEventArgs e)
    {
        GatewayConfigLog.WatcherFailed(_logger, _path, e.GetException());
        ScheduleReload(); // e.g. the event buffer overflowed: the change we care about may be among the lost ones
    }

    private void ScheduleReload()
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            _debounceTimer?.Change(_options.Debounce, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Disposed between the check and the call.
        }
    }

    private void OnDebounceElapsed() => _ = ReloadInBackgroundAsync(force: false);

    private void OnSighup(PosixSignalContext context)
    {
        context.Cancel = true; // SIGHUP's default action would end the process
        GatewayConfigLog.SighupReceived(_logger, _path);
        _ = ReloadInBackgroundAsync(force: true);
    }

    /// <summary>A reload nobody awaits: an unexpected failure is logged rather than lost.</summary>
    private async Task ReloadInBackgroundAsync(bool force)
    {
        try
        {
            await ReloadCoreAsync(force && !_disposed, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            GatewayConfigLog.ReloadFailed(_logger, _path, e);
        }
    }

    /// <summary>One reload; null when not forced and the file's text is what was last loaded (or tried).</summary>
    private async Task<ConfigReloadOutcome?> ReloadCoreAsync(bool force, CancellationToken cancellationToken)
    {
        await _reloadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return force ? throw new ObjectDisposedException(nameof(GatewayConfigProvider)) : null;
            }

            ConfigLoadResult result;
            if (GatewayConfigLoader.TryReadFile(_path, out var text, out var failure))
            {
                if (!force && text == _lastText)
                {
                    GatewayConfigLog.Unchanged(_logger, _path);
                    return null;
                }

                _lastText = text;
                result = GatewayConfigLoader.LoadFileText(text, _path);
            }
            else
            {
                _lastText = null; // whatever appears next is new
                result = failure;
            }

            var outcome = result.Success ? Apply(result.Config, result) : Refuse(result);
            RaiseReloaded(outcome);
            return outcome;
        }
        finally
        {
            _reloadLock.Release();
        }
    }

    private ConfigReloadOutcome Apply(GatewayConfig config, ConfigLoadResult result)
    {
        foreach (var warning in result.Warnings)
        {
            GatewayConfigLog.ConfigWarning(_logger, warning);
        }

        var previous = _snapshot;
        _snapshot = new Snapshot(config);
        Interlocked.Increment(ref _reloadsSucceeded);
        GatewayConfigLog.Reloaded(_logger, _path, config.Listeners.Count, config.Clusters.Count);
        try
        {
            previous.Source.Cancel();
        }
        catch (AggregateException e)
        {
            GatewayConfigLog.ChangeHandlerFailed(_logger, e);
        }
        finally
        {
            previous.Source.Dispose();
        }

        return new ConfigReloadOutcome(true, config, [], result.Warnings);
    }

    private ConfigReloadOutcome Refuse(ConfigLoadResult result)
    {
        Interlocked.Increment(ref _reloadsFailed);
        GatewayConfigLog.ReloadRefused(_logger, _path, result.Errors.Count);
        foreach (var error in result.Errors)
        {
            GatewayConfigLog.ConfigError(_logger, error);
        }

        foreach (var warning in result.Warnings)
        {
            GatewayConfigLog.ConfigWarning(_logger, warning);
        }

        return new ConfigReloadOutcome(false, null, result.Errors, result.Warnings);
    }

    private void RaiseReloaded(ConfigReloadOutcome outcome)
    {
        if (Reloaded is not { } handlers)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList().Cast<Action<ConfigReloadOutcome>>())
        {
            try
            {
                handler(outcome);
            }
            catch (Exception e)
            {
                // A subscriber's failure must not stop the others or the provider.
                GatewayConfigLog.ChangeHandlerFailed(_logger, e);
            }
        }
    }

    /// <summary>A configuration and the token signalled when it is replaced, published together.</summary>
    private sealed class Snapshot
    {
        public Snapshot(GatewayConfig config)
        {
            Config = config;
            ChangeToken = new CancellationChangeToken(Source.Token);
        }

        public GatewayConfig Config { get; }

        public CancellationTokenSource Source { get; } = new();

        public IChangeToken ChangeToken { get; }
    }
}
