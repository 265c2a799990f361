namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>The default wait of every await in these tests: long enough for a loaded 2-core machine, short enough to fail fast.</summary>
internal static class TestTimeouts
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(20);

    /// <summary>How long a backend handler waits for the test at most, so a broken test never leaves a handler behind.</summary>
    public static readonly TimeSpan Handler = TimeSpan.FromSeconds(30);
}
