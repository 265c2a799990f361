namespace Ferry.Gateway.Config;

/// <summary>
/// Reads Ferry's own YAML format into a <see cref="GatewayConfig"/>. Keys are snake_case and map one to one onto
/// the records; a key left out keeps the record's default, so defaults live in one place (the records).
/// Checks here are about form (types, units, the endpoint shorthand); rules between values are
/// <see cref="GatewayConfigValidator"/>'s.
/// </summary>
internal static partial class GatewayYamlReader
{
    public static GatewayConfig Read(MappingReader root, ConfigReadContext context, string source)
    {
        var listeners = ReadList(root, "listeners", context, ReadListener);
        var clusters = ReadList(root, "clusters", context, ReadCluster);
        var admin = root.Section<AdminConfig>("admin", null, ReadAdmin);
        var accessLog = root.Section("access_log", new AccessLogConfig(), ReadAccessLog) ?? new AccessLogConfig { Enabled = false };
        root.Finish();
        return new GatewayConfig
        {
            Listeners = listeners,
            Clusters = clusters,
            Admin = admin,
            AccessLog = accessLog,
            Source = source,
        };
    }

    private static AdminConfig ReadAdmin(MappingReader admin)
    {
        var defaults = new AdminConfig();
        var config = new AdminConfig
        {
            Address = admin.String("address"),
            MetricsPath = admin.String("metrics_path") ?? defaults.MetricsPath,
        };
        admin.Finish();
        return config;
    }

    private static AccessLogConfig ReadAccessLog(MappingReader log)
    {
        var defaults = new AccessLogConfig();
        var config = new AccessLogConfig
        {
            Enabled = log.Bool("enabled", defaults.Enabled),
            Format = log.String("format") ?? defaults.Format,
        };
        log.Finish();
        return config;
    }

    /// <summary>
    /// A list of mappings, each read by <paramref name="read"/>. An item that is not a mapping is reported and stands
    /// as a record of defaults, so record indices stay those of the file and later errors name the right item.
    /// </summary>
    private static IReadOnlyList<T> ReadList<T>(
        MappingReader parent, string key, ConfigReadContext context, Func<MappingReader, ConfigReadContext, T> read)
    {
        var result = new List<T>();
        foreach (var (node, path) in parent.Sequence(key))
        {
            if (context.AsMapping(node, path) is { } item)
            {
                result.Add(read(item, context));
                item.Finish();
            }
            else
            {
                var quiet = context.Quiet();
                result.Add(read(quiet.Read(new YamlMapping(node.Line, node.Column, []), path), quiet));
            }
        }

        return result;
    }
}
