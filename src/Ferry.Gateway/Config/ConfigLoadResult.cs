namespace Ferry.Gateway.Config;

/// <summary>
/// The outcome of loading a configuration: a validated snapshot, or every error found. Warnings (ignored
/// compatibility keys, routes that can never match, ...) do not stop a load.
/// </summary>
public sealed class ConfigLoadResult
{
    internal ConfigLoadResult(GatewayConfig? config, IReadOnlyList<ConfigError> errors, IReadOnlyList<string> warnings)
    {
        Config = errors.Count == 0 ? config : null;
        Errors = errors;
        Warnings = warnings;
    }

    /// <summary>The validated snapshot; null when there is any error.</summary>
    public GatewayConfig? Config { get; }

    public IReadOnlyList<ConfigError> Errors { get; }

    /// <summary>Formatted like errors: <c>file:line:column: path: message</c>.</summary>
    public IReadOnlyList<string> Warnings { get; }

    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Config))]
    public bool Success => Config is not null;
}
