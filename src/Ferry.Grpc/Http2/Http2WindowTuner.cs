namespace Ferry.Grpc.Http2;

/// <summary>
/// Grows a connection's stream receive windows to its bandwidth-delay product, as gRPC's BDP estimator does. A fixed
/// window caps a stream at one window per round trip (1 MiB over a 50 ms path is 20 MiB/s); a window as large as the
/// maximum from the start would let every stalled reader hold that much.
/// A PING leaves with a DATA frame, and the DATA that arrives until its ACK is one sample of what the path holds in
/// flight. Credit goes back in halves of a window, so a path that the window limits carries about half a window per
/// round trip: a sample of a third of the target or more, at a bandwidth no lower than the best seen, means the window
/// is what limits the transfer, and the target doubles (at least to twice the sample), up to the maximum.
/// Only a connection whose readers use their windows is measured: a stream returning half its window arms the next
/// PING (<see cref="OnStreamCredit"/>), so calls that never come near a window (unary traffic) cost none. Pings are
/// also spaced: 100 ms at first, halved when the target grows, lengthened while it holds, at most 10 s apart.
/// Not thread-safe: the connection calls it under its lock.
/// </summary>
internal sealed class Http2WindowTuner
{
    /// <summary>The payload of the tuner's PINGs ("FerryBDP"), told apart from keepalive pings by their ACK.</summary>
    public const long PingPayload = 0x4665727279_424450;

    private static readonly TimeSpan FirstInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxInterval = TimeSpan.FromSeconds(10);

    private readonly int _max;
    private readonly TimeProvider _time;
    private bool _armed;
    private bool _pinging;
    private long _sentAt;
    private long _nextPingAt;
    private long _sample;
    private double _bestBandwidth;
    private TimeSpan _interval = FirstInterval;
    private int _steadySamples;

    private Http2WindowTuner(int initial, int max, TimeProvider time)
    {
        Target = initial;
        _max = max;
        _time = time;
    }

    /// <summary>A tuner for windows from <paramref name="initial"/> up to <paramref name="max"/>; null when they stay fixed.</summary>
    public static Http2WindowTuner? Create(int initial, int? max, TimeProvider time) =>
        max > initial ? new Http2WindowTuner(initial, max.Value, time) : null;

    /// <summary>The window each stream grows to as its reader consumes (a stream that stopped reading keeps its own).</summary>
    public int Target { get; private set; }

    /// <summary>
    /// A stream's reader consumed half its window (<paramref name="streamWindow"/>, its full size): arms a measurement
    /// and returns what the stream's window grows by, to be granted with the credit. A reader that stopped never gets
    /// here, so it holds no more than the window it had.
    /// </summary>
    public int OnStreamCredit(ref int streamWindow)
    {
        _armed = true;
        if (Target <= streamWindow)
        {
            return 0;
        }

        var growth = Target - streamWindow;
        streamWindow = Target;
        return growth;
    }

    /// <summary>
    /// After <see cref="OnPingAck"/> grew the target: grows the connection window (<paramref name="connectionWindow"/>,
    /// its full size, and <paramref name="receiveWindow"/>, what is left of it) so that two streams at the target fit,
    /// and returns the increment to send in a WINDOW_UPDATE (0 for none).
    /// </summary>
    public int GrowConnection(ref int connectionWindow, ref int receiveWindow)
    {
        var wanted = (int)Math.Min(int.MaxValue, 2L * Target);
        if (wanted <= connectionWindow)
        {
            return 0;
        }

        var growth = wanted - connectionWindow;
        connectionWindow = wanted;
        receiveWindow += growth;
        return growth;
    }

    /// <summary>DATA arrived: true when the caller must send a PING with <see cref="PingPayload"/> now.</summary>
    public bool OnData(int length)
    {
        if (_pinging)
        {
            _sample += length;
            return false;
        }

        if (!_armed || Target >= _max)
        {
            return false;
        }

        var now = _time.GetTimestamp();
        if (now < _nextPingAt)
        {
            return false;
        }

        _armed = false;
        _pinging = true;
        _sentAt = now;
        _sample = length;
        return true;
    }

    /// <summary>A PING ACK with <see cref="PingPayload"/> arrived: true when <see cref="Target"/> grew.</summary>
    public bool OnPingAck()
    {
        if (!_pinging)
        {
            return false;
        }

        _pinging = false;
        var now = _time.GetTimestamp();
        var roundTrip = _time.GetElapsedTime(_sentAt, now);
        var bandwidth = _sample / Math.Max(roundTrip.TotalSeconds, 1e-6);
        var grew = _sample * 3 >= Target && bandwidth >= _bestBandwidth;
        if (grew)
        {
            _bestBandwidth = bandwidth;
            Target = (int)Math.Min(_max, Math.Max(_sample * 2, (long)Target * 2));
            _interval /= 2;
            _steadySamples = 0;
        }
        else if (++_steadySamples >= 2 && _interval < MaxInterval)
        {
            _interval += FirstInterval;
        }

        _nextPingAt = now + (long)(_interval.TotalSeconds * _time.TimestampFrequency);
        return grew;
    }
}
