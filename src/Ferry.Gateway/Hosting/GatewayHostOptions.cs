using Ferry.Gateway.Upstream;
using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Hosting;

/// <summary>Process-level settings of a gateway host that are not part of the reloadable YAML.</summary>
public sealed record GatewayHostOptions
{
    /// <summary>How backend connections are opened; TCP by default (tunnels substitute their own).</summary>
    public IUpstreamConnector? Connector { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Randomness for load balancing; replaceable for deterministic tests. Must be thread-safe (calls pick concurrently).</summary>
    public Random Random { get; init; } = Random.Shared;

    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }

    /// <summary>HTTP/2 connection receive window offered to clients. Default 4 MiB.</summary>
    public int Http2ConnectionWindow { get; init; } = 4 * 1024 * 1024;

    /// <summary>HTTP/2 stream receive window offered to clients. Default 1 MiB; bulk uploads need more than 64 KiB.</summary>
    public int Http2StreamWindow { get; init; } = 1024 * 1024;

    /// <summary>
    /// How far a request stream's window may grow, from PING-measured bandwidth-delay products, while its backend keeps
    /// reading (what one stalled request can hold in the gateway). Default 8 MiB; equal to
    /// <see cref="Http2StreamWindow"/> keeps windows fixed.
    /// </summary>
    public int Http2MaxStreamWindow { get; init; } = 8 * 1024 * 1024;

    /// <summary>
    /// The most one receive from a client takes (the block size of the listeners' receive memory). Default 64 KiB;
    /// 4 KiB to 1 MiB.
    /// </summary>
    public int ReceiveBlockSize { get; init; } = 64 * 1024;

    /// <summary>
    /// How much receive memory may be lent in blocks of <see cref="ReceiveBlockSize"/> at once; past it, receives use
    /// 4 KiB blocks, so clients that send part of a frame and stall pin no more than that each. Default 32 MiB.
    /// </summary>
    public long ReceiveBlockBudget { get; init; } = 32 * 1024 * 1024;

    /// <summary>How long stopping waits for calls in flight after GOAWAY went out. Default 10 s.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    internal void Validate()
    {
        if (Http2StreamWindow is < 65535 or > int.MaxValue / 2)
        {
            throw new ArgumentException($"{nameof(GatewayHostOptions)}.{nameof(Http2StreamWindow)} must be between 65535 and 1 GiB.");
        }

        if (Http2MaxStreamWindow < Http2StreamWindow)
        {
            throw new ArgumentException($"{nameof(GatewayHostOptions)}.{nameof(Http2MaxStreamWindow)} must be at least {nameof(Http2StreamWindow)}.");
        }

        if (Http2ConnectionWindow < Http2StreamWindow)
        {
            throw new ArgumentException($"{nameof(GatewayHostOptions)}.{nameof(Http2ConnectionWindow)} must be at least {nameof(Http2StreamWindow)}.");
        }

        if (ReceiveBlockSize is < 4096 or > 1024 * 1024)
        {
            throw new ArgumentException($"{nameof(GatewayHostOptions)}.{nameof(ReceiveBlockSize)} must be between 4 KiB and 1 MiB.");
        }

        if (ReceiveBlockBudget < ReceiveBlockSize)
        {
            throw new ArgumentException($"{nameof(GatewayHostOptions)}.{nameof(ReceiveBlockBudget)} must be at least {nameof(ReceiveBlockSize)}.");
        }

        if (ShutdownTimeout < TimeSpan.Zero)
        {
            throw new ArgumentException($"{nameof(GatewayHostOptions)}.{nameof(ShutdownTimeout)} must not be negative.");
        }
    }
}
