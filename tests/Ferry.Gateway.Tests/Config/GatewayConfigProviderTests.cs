using Ferry.Gateway.Config;
using Microsoft.Extensions.Primitives;

namespace Ferry.Gateway.Tests.Config;

public sealed class GatewayConfigProviderTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly TemporaryDirectory _directory = new();
    private readonly RecordingLogger<GatewayConfigProvider> _logger = new();
    private readonly string _path;

    public GatewayConfigProviderTests()
    {
        _path = _directory.Write("gateway.yaml", Config(port: 50051));
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ValidChangeIsAppliedSignalledAndReported()
    {
        using var provider = Start();
        var first = provider.Current;
        var changed = Signalled(provider.GetChangeToken());
        var applied = NextOutcome(provider, outcome => outcome.Success);

        File.WriteAllText(_path, Config(port: 50052));

        var outcome = await applied.WaitAsync(Timeout);
        await changed.WaitAsync(Timeout);
        Assert.Same(outcome.Config, provider.Current);
        Assert.NotSame(first, provider.Current);
        Assert.Equal("127.0.0.1:50052", provider.Current.Clusters[0].Endpoints[0].Address);
        Assert.Equal(1, provider.ReloadsSucceeded);
        Assert.Contains(_logger.Entries, entry => entry.EventId.Id == 100);
    }

    [Fact]
    public async Task InvalidChangeIsRefusedAndTheOldConfigKept()
    {
        using var provider = Start();
        var first = provider.Current;
        var token = provider.GetChangeToken();
        const string expected = "gateway.yaml:9:17: clusters[0].endpoints[0].weight: weight must be from 1 to 1000, found 0";
        var refused = NextOutcome(provider, outcome => !outcome.Success && outcome.Errors.Any(error => error.ToString().EndsWith(expected, StringComparison.Ordinal)));

        File.WriteAllText(_path, Config(port: 50052, weight: 0) + "  - bogus: 1\n");

        var outcome = await refused.WaitAsync(Timeout);
        Assert.Null(outcome.Config);
        Assert.True(outcome.Errors.Count >= 2, "every error is reported, not only the first");
        Assert.Same(first, provider.Current);
        Assert.False(token.HasChanged);
        Assert.True(provider.ReloadsFailed >= 1);
        Assert.Equal(0, provider.ReloadsSucceeded);
        Assert.Contains(_logger.Entries, entry => entry.EventId.Id == 101);
        foreach (var error in outcome.Errors)
        {
            Assert.Contains(_logger.Entries, entry => entry.EventId.Id == 102 && entry.Message.Contains(error.ToString(), StringComparison.Ordinal));
        }

        // A later valid change still goes through.
        var applied = NextOutcome(provider, outcome => outcome.Success);
        ReplaceByRename(Config(port: 50053));
        await applied.WaitAsync(Timeout);
        Assert.Equal("127.0.0.1:50053", provider.Current.Clusters[0].Endpoints[0].Address);
        Assert.True(token.HasChanged);
    }

    [Fact]
    public async Task FileReplacedByRenameIsPickedUp()
    {
        using var provider = Start();
        var outcomes = new List<ConfigReloadOutcome>();
        provider.Reloaded += outcome => { lock (outcomes) { outcomes.Add(outcome); } };
        var applied = NextOutcome(provider, outcome => outcome.Success);

        ReplaceByRename(Config(port: 50051)); // the same text: no reload
        ReplaceByRename(Config(port: 50054));

        var outcome = await applied.WaitAsync(Timeout);
        Assert.Equal("127.0.0.1:50054", provider.Current.Clusters[0].Endpoints[0].Address);
        lock (outcomes)
        {
            Assert.Equal([outcome], outcomes);
        }
    }

    [Fact]
    public async Task ReloadAsyncReloadsEvenWhenTheTextIsTheSame()
    {
        using var provider = Start(new GatewayConfigProviderOptions { WatchFile = false });
        var changes = 0;
        using var registration = ChangeToken.OnChange(provider.GetChangeToken, () => Interlocked.Increment(ref changes));
        var raised = NextOutcome(provider, _ => true);

        var outcome = await provider.ReloadAsync().WaitAsync(Timeout);
        Assert.True(outcome.Success);
        Assert.Same(outcome, await raised.WaitAsync(Timeout));
        Assert.Same(outcome.Config, provider.Current);

        await provider.ReloadAsync().WaitAsync(Timeout);
        Assert.Equal(2, Volatile.Read(ref changes));
        Assert.Equal(2, provider.ReloadsSucceeded);
    }

    [Fact]
    public async Task MissingFileOnReloadIsAFailureThatKeepsTheConfig()
    {
        using var provider = Start(new GatewayConfigProviderOptions { WatchFile = false });
        var first = provider.Current;
        File.Delete(_path);

        var outcome = await provider.ReloadAsync().WaitAsync(Timeout);

        Assert.False(outcome.Success);
        Assert.StartsWith($"{_path}: cannot read the configuration file:", Assert.Single(outcome.Errors).ToString(), StringComparison.Ordinal);
        Assert.Same(first, provider.Current);
        Assert.Equal(1, provider.ReloadsFailed);
    }

    [Fact]
    public void InvalidFileAtStartGivesNoProviderAndTheErrors()
    {
        File.WriteAllText(_path, Config(port: 50051, weight: 0));

        var provider = GatewayConfigProvider.TryCreate(_path, _logger, out var result);

        Assert.Null(provider);
        Assert.EndsWith("gateway.yaml:9:17: clusters[0].endpoints[0].weight: weight must be from 1 to 1000, found 0", Assert.Single(result.Errors).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisposedProviderRefusesReloads()
    {
        var provider = Start();
        provider.Dispose();
        provider.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => provider.ReloadAsync());
    }

    private static string Config(int port, int weight = 1) => $$"""
        listeners:
          - name: public
            address: 127.0.0.1:0
            routes: [ { name: all, cluster: backend } ]
        clusters:
          - name: backend
            endpoints:
              - address: 127.0.0.1:{{port}}
                weight: {{weight}}

        """;

    private GatewayConfigProvider Start(GatewayConfigProviderOptions? options = null)
    {
        var provider = GatewayConfigProvider.TryCreate(
            _path, _logger, out var result, options ?? new GatewayConfigProviderOptions { Debounce = TimeSpan.FromMilliseconds(50) });
        Assert.True(result.Success, string.Join(Environment.NewLine, result.Errors));
        return provider!;
    }

    /// <summary>Writes a new file beside the config and renames it over the config, as many editors save.</summary>
    private void ReplaceByRename(string content)
    {
        var temporary = _directory.Write("gateway.yaml.tmp", content);
        File.Move(temporary, _path, overwrite: true);
    }

    /// <summary>The first outcome from now on that satisfies <paramref name="predicate"/>.</summary>
    private static Task<ConfigReloadOutcome> NextOutcome(GatewayConfigProvider provider, Func<ConfigReloadOutcome, bool> predicate)
    {
        var completion = new TaskCompletionSource<ConfigReloadOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        provider.Reloaded += outcome =>
        {
            if (predicate(outcome))
            {
                completion.TrySetResult(outcome);
            }
        };
        return completion.Task;
    }

    private static Task Signalled(IChangeToken token)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.RegisterChangeCallback(_ => completion.TrySetResult(), null);
        return completion.Task;
    }
}
