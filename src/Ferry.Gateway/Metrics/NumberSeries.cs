namespace Ferry.Gateway.Metrics;

/// <summary>
/// The value of a counter, up-down counter or gauge series. Adds are lock-free (<see cref="Interlocked"/>); sets are
/// plain volatile writes. An instrument records one numeric type, so only one of the two fields ever moves: integers
/// stay exact, floating-point values are added with a compare-and-swap loop.
/// </summary>
internal sealed class NumberSeries(string labels) : MetricSeries(labels)
{
    private long _integer;
    private double _floating;
    private int _epoch;

    public double Value => Volatile.Read(ref _integer) + Volatile.Read(ref _floating);

    /// <summary>The collection in which an observable instrument last reported this series.</summary>
    public int Epoch => Volatile.Read(ref _epoch);

    public void Add(long value) => Interlocked.Add(ref _integer, value);

    public void Add(double value)
    {
        var current = Volatile.Read(ref _floating);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref _floating, current + value, current);
            if (seen.Equals(current))
            {
                return;
            }

            current = seen;
        }
    }

    public void Set(long value, int epoch)
    {
        Volatile.Write(ref _integer, value);
        Volatile.Write(ref _epoch, epoch);
    }

    public void Set(double value, int epoch)
    {
        Volatile.Write(ref _floating, value);
        Volatile.Write(ref _epoch, epoch);
    }
}
