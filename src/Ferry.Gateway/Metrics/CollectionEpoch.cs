namespace Ferry.Gateway.Metrics;

/// <summary>
/// Numbers the scrapes. Observable instruments report only at a scrape; a series they did not report in the latest
/// one (a connection that closed, a pool that was removed) is left out of the output instead of repeating its last
/// value forever.
/// </summary>
internal sealed class CollectionEpoch
{
    private int _current;

    public int Current => Volatile.Read(ref _current);

    public int Advance() => Interlocked.Increment(ref _current);
}
