namespace Ferry.Bench.Load;

/// <summary>What the client load generator runs against and how hard.</summary>
internal sealed record LoadOptions
{
    public required string Host { get; init; }

    public required int Port { get; init; }

    /// <summary>TCP connections, one <see cref="Ferry.Grpc.Client.GrpcChannel"/> (and handler) each.</summary>
    public int Connections { get; init; } = 16;

    /// <summary>Concurrent calls (unary) or open streams (ping-pong) on each connection.</summary>
    public int Streams { get; init; } = 32;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Calls made before measuring starts (JIT tiering, connection windows); not counted.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Request and response payload of the small-message scenarios.</summary>
    public int PayloadSize { get; init; } = 100;

    public int MessageSize { get; init; } = 64 * 1024;

    public long StreamBytes { get; init; } = 256L * 1024 * 1024;

    public long BidiBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How many times the server stream and the bidi echo are run back to back (all measured).</summary>
    public int Repeat { get; init; } = 1;

    /// <summary>The server's process id, when on this machine: its CPU over the measured window is reported per call.</summary>
    public int? ServerPid { get; init; }

    /// <summary>Clock ticks per second of <c>/proc/PID/stat</c> (getconf CLK_TCK).</summary>
    public int ClockTicksPerSecond { get; init; } = 100;

    /// <summary>Run without printing a result (warm-up).</summary>
    public bool Quiet { get; init; }
}
