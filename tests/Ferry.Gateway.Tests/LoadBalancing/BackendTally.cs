using System.Collections.Concurrent;
using Ferry.Gateway.Tests.Infrastructure;

namespace Ferry.Gateway.Tests.LoadBalancing;

/// <summary>Counts which backend answered each of many unary calls sent through a gateway, some at once.</summary>
internal static class BackendTally
{
    public static async Task<IReadOnlyDictionary<string, int>> CountAsync(TestGateway gateway, int calls, int concurrency)
    {
        var counts = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var next = -1;
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < calls)
            {
                var reply = await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default);
                counts.AddOrUpdate(reply.Backend, 1, (_, count) => count + 1);
            }
        });
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));
        return counts;
    }

    /// <summary>
    /// Calls until every one of <paramref name="backends"/> has answered: each connection is dialled before a tally
    /// counts, so a first dial that is slow on a loaded machine (its calls retried elsewhere) cannot skew it.
    /// </summary>
    public static async Task ReachAllAsync(TestGateway gateway, params string[] backends)
    {
        var missing = new HashSet<string>(backends, StringComparer.Ordinal);
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        while (missing.Count > 0)
        {
            var reply = await gateway.Client.UnaryAsync(new ProbeRequest(), cancellationToken: timeout.Token).ResponseAsync;
            missing.Remove(reply.Backend);
        }
    }

    public static async Task<List<string>> SequenceAsync(TestGateway gateway, int calls)
    {
        var sequence = new List<string>(calls);
        for (var i = 0; i < calls; i++)
        {
            sequence.Add((await gateway.Client.UnaryAsync(new ProbeRequest()).ResponseAsync.WaitAsync(TestTimeouts.Default)).Backend);
        }

        return sequence;
    }
}
