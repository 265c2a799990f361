using Ferry.Gateway.Config;

namespace Ferry.Gateway.Tests.Config;

internal static class ConfigAssert
{
    public const string Source = "gateway.yaml";

    public static ConfigLoadResult Load(string yaml, string? baseDirectory = null) =>
        GatewayConfigLoader.LoadYaml(yaml, Source, baseDirectory);

    public static GatewayConfig Valid(string yaml, string? baseDirectory = null)
    {
        var result = Load(yaml, baseDirectory);
        Assert.True(result.Success, string.Join(Environment.NewLine, result.Errors));
        return result.Config!;
    }

    /// <summary>The load fails with exactly these errors (as <c>file:line:column: path: message</c>), in order.</summary>
    public static void Errors(string yaml, params string[] expected)
    {
        var result = Load(yaml);
        Assert.False(result.Success);
        Assert.Null(result.Config);
        Assert.Equal(expected, result.Errors.Select(error => error.ToString()));
    }

    /// <summary>The load fails with a single error that starts with <paramref name="expectedStart"/>.</summary>
    public static ConfigError SingleError(string yaml, string expectedStart)
    {
        var result = Load(yaml);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith(expectedStart, error.ToString(), StringComparison.Ordinal);
        return error;
    }
}
