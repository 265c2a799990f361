using Ferry.Gateway.Config;
using Ferry.Gateway.Hosting;

namespace Ferry.Cli.Commands;

/// <summary>Feeds each reload of the watched file to the running gateway; a refused one leaves it as it was.</summary>
internal sealed class ConfigReloader : IDisposable
{
    private readonly GatewayConfigProvider _provider;
    private readonly GatewayHost _host;

    private ConfigReloader(GatewayConfigProvider provider, GatewayHost host)
    {
        _provider = provider;
        _host = host;
        _provider.Reloaded += OnReloaded;
    }

    public static ConfigReloader Connect(GatewayConfigProvider provider, GatewayHost host) => new(provider, host);

    public void Dispose() => _provider.Reloaded -= OnReloaded;

    private void OnReloaded(ConfigReloadOutcome outcome)
    {
        if (!outcome.Success || outcome.Config is null)
        {
            _host.RecordFailedReload();
            return;
        }

        try
        {
            _host.Apply(outcome.Config);
            Console.WriteLine($"configuration reloaded from {outcome.Config.Source}");
        }
        catch (Exception ex) when (ex is GatewayConfigException or InvalidOperationException)
        {
            Console.Error.WriteLine($"configuration change refused, still running the previous one: {ex.Message}");
        }
    }
}
