namespace Ferry.Gateway.Config;

/// <summary>
/// What one reload did. On success <see cref="Config"/> is the new snapshot, now current; on failure it is null,
/// the previous snapshot stays current, and <see cref="Errors"/> says why.
/// </summary>
internal sealed record ConfigReloadOutcome(
    bool Success,
    GatewayConfig? Config,
    IReadOnlyList<ConfigError> Errors,
    IReadOnlyList<string> Warnings);
