namespace Ferry.Gateway.Config;

/// <summary>
/// Loads the gateway's YAML configuration, in Ferry's format or synapsor's (recognised by its root key
/// <c>proxy:</c>), and validates it. Every error is collected, each with file, line, column and field path.
/// </summary>
public static class GatewayConfigLoader
{
    /// <summary>Reads and validates <paramref name="path"/>; relative file paths inside resolve against its directory.</summary>
    public static ConfigLoadResult LoadFile(string path) =>
        TryReadFile(path, out var yaml, out var failure) ? LoadFileText(yaml, path) : failure;

    /// <summary>Loads text read from <paramref name="path"/>, as <see cref="LoadFile"/> would.</summary>
    internal static ConfigLoadResult LoadFileText(string yaml, string path) =>
        LoadYaml(yaml, path, Path.GetDirectoryName(Path.GetFullPath(path)));

    /// <summary>Reads the file's text; when it cannot, <paramref name="failure"/> says why as a load result.</summary>
    internal static bool TryReadFile(string path, out string yaml, out ConfigLoadResult failure)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            yaml = File.ReadAllText(path);
            failure = null!;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            yaml = "";
            failure = new ConfigLoadResult(null, [new ConfigError(path, 0, 0, "", $"cannot read the configuration file: {e.Message}")], []);
            return false;
        }
    }

    /// <summary>
    /// Parses and validates <paramref name="yaml"/>. <paramref name="sourceName"/> names it in errors and becomes
    /// <see cref="GatewayConfig.Source"/>; relative file paths resolve against <paramref name="baseDirectory"/>, or
    /// stay relative (to the working directory) when it is null.
    /// </summary>
    public static ConfigLoadResult LoadYaml(string yaml, string sourceName, string? baseDirectory) =>
        Load(yaml, sourceName, baseDirectory, LoadBalancingPolicyNames.All);

    internal static ConfigLoadResult Load(string yaml, string sourceName, string? baseDirectory, IReadOnlyCollection<string> loadBalancingPolicies)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(sourceName);
        var diagnostics = new ConfigDiagnostics(sourceName);
        var root = YamlDocumentReader.Read(yaml, diagnostics);
        GatewayConfig config;
        switch (root)
        {
            case null when diagnostics.Errors.Count > 0:
                return new ConfigLoadResult(null, diagnostics.SortedErrors, diagnostics.SortedWarnings);
            case null:
                config = new GatewayConfig { Source = sourceName }; // empty file: validation says what is missing
                break;
            case YamlMapping mapping:
                diagnostics.Map.Add("", mapping);
                config = IsSynapsor(mapping)
                    ? ReadSynapsor(mapping, diagnostics, baseDirectory, sourceName)
                    : ReadGateway(mapping, diagnostics, baseDirectory, sourceName);
                break;
            default:
                diagnostics.Error(root, "", $"expected a mapping with listeners and clusters, found {ConfigReadContext.Describe(root)}");
                return new ConfigLoadResult(null, diagnostics.SortedErrors, diagnostics.SortedWarnings);
        }

        GatewayConfigValidator.Validate(config, diagnostics, loadBalancingPolicies);
        return new ConfigLoadResult(config, diagnostics.SortedErrors, diagnostics.SortedWarnings);
    }

    private static GatewayConfig ReadGateway(YamlMapping mapping, ConfigDiagnostics diagnostics, string? baseDirectory, string sourceName)
    {
        var context = new ConfigReadContext(diagnostics, baseDirectory);
        return GatewayYamlReader.Read(context.Read(mapping, ""), context, sourceName);
    }

    private static GatewayConfig ReadSynapsor(YamlMapping mapping, ConfigDiagnostics diagnostics, string? baseDirectory, string sourceName)
    {
        var context = new ConfigReadContext(diagnostics, baseDirectory, bareNumbersAreSeconds: true, caseInsensitiveKeys: true);
        return SynapsorYamlReader.Read(context.Read(mapping, ""), context, sourceName);
    }

    /// <summary>synapsor's files have a root key <c>proxy</c> and none of ours.</summary>
    private static bool IsSynapsor(YamlMapping root) =>
        root.Entries.Any(entry => string.Equals(entry.Key.Value, SynapsorYamlReader.RootKey, StringComparison.OrdinalIgnoreCase))
        && !root.Entries.Any(entry => entry.Key.Value is "listeners" or "clusters");
}
