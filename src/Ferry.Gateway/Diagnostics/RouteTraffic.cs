namespace Ferry.Gateway.Diagnostics;

/// <summary>
/// One route's running totals, reported by observable instruments at a scrape. Counting with an interlocked add on a
/// field the call already holds is far cheaper per call than a measurement, which finds its series by hashing tags.
/// </summary>
internal sealed class RouteTraffic(string route)
{
    private long _activeStreams;
    private long _requestBytes;
    private long _responseBytes;

    public string Route { get; } = route;

    public long ActiveStreams => Volatile.Read(ref _activeStreams);

    public long RequestBytes => Volatile.Read(ref _requestBytes);

    public long ResponseBytes => Volatile.Read(ref _responseBytes);

    public void CallStarted() => Interlocked.Increment(ref _activeStreams);

    public void CallEnded(long requestBytes, long responseBytes)
    {
        Interlocked.Decrement(ref _activeStreams);
        if (requestBytes > 0)
        {
            Interlocked.Add(ref _requestBytes, requestBytes);
        }

        if (responseBytes > 0)
        {
            Interlocked.Add(ref _responseBytes, responseBytes);
        }
    }
}
