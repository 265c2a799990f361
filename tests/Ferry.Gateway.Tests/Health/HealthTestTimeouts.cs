using System.Diagnostics;

namespace Ferry.Gateway.Tests.Health;

/// <summary>Bounds for every wait in the health tests: generous, so a loaded machine slows them down but does not fail them.</summary>
internal static class HealthTestTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds, failing the test with <paramref name="what"/> when it still
    /// does not after <see cref="Default"/>. For state the gateway reaches in the background (health verdicts).
    /// </summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what) =>
        await WaitUntilAsync(() => Task.FromResult(condition()), what);

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!await condition().WaitAsync(Default))
        {
            if (stopwatch.Elapsed > Default)
            {
                Assert.Fail($"Timed out after {Default.TotalSeconds:0} s waiting until {what}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(25));
        }
    }
}
