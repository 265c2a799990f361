namespace Ferry.Gateway.Config;

internal sealed record GatewayConfigProviderOptions
{
    /// <summary>Quiet time after the last file event before reloading, so an editor's several writes load once.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Reload when the file (or anything in its directory, such as a Kubernetes ConfigMap swap) changes.</summary>
    public bool WatchFile { get; init; } = true;

    /// <summary>Reload on SIGHUP, where the platform has it.</summary>
    public bool ReloadOnSighup { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
