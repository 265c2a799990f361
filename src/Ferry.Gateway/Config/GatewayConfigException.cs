namespace Ferry.Gateway.Config;

/// <summary>A configuration was refused; <see cref="Errors"/> lists every problem found, each naming its field.</summary>
public sealed class GatewayConfigException(IReadOnlyList<ConfigError> errors)
    : Exception("Invalid gateway configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
{
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}
