namespace Ferry.Grpc.Http2;

/// <summary>The settings of one server-side HTTP/2 connection. Validated by whoever builds it from configuration.</summary>
internal sealed record Http2ServerOptions
{
    /// <summary>Streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused (REFUSED_STREAM).</summary>
    public int MaxConcurrentStreams { get; init; } = 100;

    /// <summary>The receive window of each stream (SETTINGS_INITIAL_WINDOW_SIZE): what one request body may buffer here.</summary>
    public int InitialStreamWindow { get; init; } = 1024 * 1024;

    /// <summary>
    /// How far request stream windows may grow when the measured bandwidth-delay product calls for it
    /// (<see cref="Http2WindowTuner"/>); null, or no more than <see cref="InitialStreamWindow"/>, keeps them fixed.
    /// </summary>
    public int? MaxStreamWindow { get; init; }

    /// <summary>The connection's receive window, returned as data arrives (the stream windows bound what is buffered).</summary>
    public int InitialConnectionWindow { get; init; } = 4 * 1024 * 1024;

    /// <summary>The largest frame accepted (SETTINGS_MAX_FRAME_SIZE).</summary>
    public int MaxFrameSize { get; init; } = 64 * 1024;

    /// <summary>The largest request header or trailer list accepted (RFC 9113 size: name + value + 32 a field).</summary>
    public int MaxHeaderListSize { get; init; } = 32 * 1024;

    /// <summary>How long a new connection may take to send its preface and SETTINGS.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Interval of keepalive PINGs on a connection that received nothing for that long; null sends none.</summary>
    public TimeSpan? KeepAliveTime { get; init; }

    /// <summary>
    /// How long a connection may have no stream open before it is shut down gracefully (GOAWAY; clients reconnect when
    /// they next call), so idle clients do not hold connections and their buffers forever; null keeps them.
    /// </summary>
    public TimeSpan? IdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a keepalive PING may go unanswered before the connection is closed.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Streams the client may reset (or that end in a stream error) within one second before the connection is closed
    /// with ENHANCE_YOUR_CALM: the "rapid reset" attack (CVE-2023-44487).
    /// </summary>
    public int MaxResetsPerSecond { get; init; } = 200;

    /// <summary>Frames that carry nothing (an empty DATA or CONTINUATION that ends nothing) accepted within one second: a CPU flood guard.</summary>
    public int MaxEmptyFramesPerSecond { get; init; } = 1000;

    /// <summary>
    /// Response bytes queued on one connection before response writers wait for the writer to take them: with large
    /// HTTP/2 windows, flow control alone would let a client that does not read (its TCP window full) pin memory. It
    /// is also the most one write to the client carries; more per write saves nothing once writes are this large.
    /// </summary>
    public int MaxBufferedOutput { get; init; } = 256 * 1024;

    /// <summary>How long a graceful shutdown waits for the client to answer its PING before naming the last stream it serves.</summary>
    public TimeSpan ShutdownPingTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// When a response ends before its request (a handler, or the gateway, answered early), how long the client has to
    /// end the request (what it sends meanwhile is dropped) before RST_STREAM(NO_ERROR) stops it. A reset right behind
    /// the response can overtake it through HAProxy, which passes it on as CANCEL. Zero resets at once.
    /// </summary>
    public TimeSpan RequestDrainTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How much request data that wait drops before it gives up: a client still sending that much is not about to end
    /// its request, and is reset at once.
    /// </summary>
    public int RequestDrainMaxBytes { get; init; } = 64 * 1024;

    /// <summary>Throws with the offending field named when a value is out of range.</summary>
    public void Validate()
    {
        Check(MaxConcurrentStreams >= 1, nameof(MaxConcurrentStreams), "at least 1");
        Check(InitialStreamWindow is >= 1 and <= int.MaxValue, nameof(InitialStreamWindow), "between 1 and 2^31-1");
        Check(InitialConnectionWindow is >= 65_535 and <= int.MaxValue, nameof(InitialConnectionWindow), "between 65535 and 2^31-1");
        Check(MaxStreamWindow is null or > 0, nameof(MaxStreamWindow), "positive or null");
        Check(MaxFrameSize is >= 16_384 and <= 16_777_215, nameof(MaxFrameSize), "between 16384 and 16777215 (RFC 9113)");
        Check(MaxHeaderListSize >= 1024, nameof(MaxHeaderListSize), "at least 1024");
        Check(HandshakeTimeout > TimeSpan.Zero, nameof(HandshakeTimeout), "positive");
        Check(KeepAliveTime is null || KeepAliveTime > TimeSpan.Zero, nameof(KeepAliveTime), "positive or null");
        Check(KeepAliveTimeout > TimeSpan.Zero, nameof(KeepAliveTimeout), "positive");
        Check(IdleTimeout is null || IdleTimeout > TimeSpan.Zero, nameof(IdleTimeout), "positive or null");
        Check(MaxResetsPerSecond >= 1, nameof(MaxResetsPerSecond), "at least 1");
        Check(MaxEmptyFramesPerSecond >= 1, nameof(MaxEmptyFramesPerSecond), "at least 1");
        Check(MaxBufferedOutput >= 16_384, nameof(MaxBufferedOutput), "at least 16384");
        Check(ShutdownPingTimeout > TimeSpan.Zero, nameof(ShutdownPingTimeout), "positive");
        Check(RequestDrainTimeout >= TimeSpan.Zero, nameof(RequestDrainTimeout), "zero or positive");
        Check(RequestDrainMaxBytes >= 0, nameof(RequestDrainMaxBytes), "zero or positive");
    }

    private static void Check(bool valid, string field, string expected)
    {
        if (!valid)
        {
            throw new ArgumentException($"{nameof(Http2ServerOptions)}.{field} must be {expected}.", field);
        }
    }
}
