namespace Ferry.Grpc.Http2;

/// <summary>The settings of one client-side HTTP/2 connection. Validated by whoever builds it from configuration.</summary>
internal sealed record Http2ClientOptions
{
    /// <summary>The receive window of each stream (SETTINGS_INITIAL_WINDOW_SIZE): what one stream may buffer here.</summary>
    public int InitialStreamWindow { get; init; } = 1024 * 1024;

    /// <summary>
    /// How far stream windows may grow when the measured bandwidth-delay product calls for it
    /// (<see cref="Http2WindowTuner"/>); null, or no more than <see cref="InitialStreamWindow"/>, keeps them fixed.
    /// </summary>
    public int? MaxStreamWindow { get; init; }

    /// <summary>The connection's receive window. Returned as data arrives, so it never holds one stream up behind another.</summary>
    public int InitialConnectionWindow { get; init; } = 16 * 1024 * 1024;

    /// <summary>The largest frame accepted (SETTINGS_MAX_FRAME_SIZE); larger DATA frames mean fewer frames per byte.</summary>
    public int MaxFrameSize { get; init; } = 64 * 1024;

    /// <summary>The largest response header or trailer list accepted (RFC 9113 size: name + value + 32 a field).</summary>
    public int MaxHeaderListSize { get; init; } = 64 * 1024;

    /// <summary>The peer's stream limit assumed until its SETTINGS arrive.</summary>
    public int DefaultMaxConcurrentStreams { get; init; } = 100;

    /// <summary>How long to wait for the server's SETTINGS after sending the preface.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Interval of keepalive PINGs while streams are open; null sends none.</summary>
    public TimeSpan? KeepAliveTime { get; init; }

    /// <summary>How long a keepalive PING may go unanswered before the connection is considered dead.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(20);
}
