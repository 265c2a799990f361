namespace Ferry.Grpc.Http2;

/// <summary>The settings of one server-side HTTP/2 connection. Validated by whoever builds it from configuration.</summary>
internal sealed record Http2ServerOptions
{
    /// <summary>Streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused (REFUSED_STREAM).</summary>
    public int MaxConcurrentStreams { get; init; } = 100;

    /// <summary>The receive window of each stream (SETTINGS_INITIAL_WINDOW_SIZE): what one request body may buffer here.</summary>
    public int InitialStreamWindow { get; init; } = 1024 * 1024;

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

    /// <summary>How long a keepalive PING may go unanswered before the connection is closed.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Streams the client may reset (or that end in a stream error) within one second before the connection is closed
    /// with ENHANCE_YOUR_CALM: the "rapid reset" attack (CVE-2023-44487).
    /// </summary>
    public int MaxResetsPerSecond { get; init; } = 200;
}
