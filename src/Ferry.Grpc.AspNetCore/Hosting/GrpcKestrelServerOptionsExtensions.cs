using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Ferry.Grpc.AspNetCore.Hosting;

public static class GrpcKestrelServerOptionsExtensions
{
    /// <summary>
    /// Applies <see cref="ServerKeepAliveOptions.Time"/> and <see cref="ServerKeepAliveOptions.Timeout"/> to Kestrel's
    /// HTTP/2 keepalive limits. They are server-wide in Kestrel, so they hold for every endpoint; the ping enforcement
    /// policy is set per endpoint by <see cref="GrpcListenOptionsExtensions.UseGrpc"/>.
    /// </summary>
    public static KestrelServerOptions ConfigureGrpcKeepAlive(this KestrelServerOptions kestrel, ServerKeepAliveOptions keepAlive)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(keepAlive);
        keepAlive.Validate(nameof(keepAlive));
        var limits = kestrel.Limits.Http2;
        limits.KeepAlivePingDelay = Kestrel(keepAlive.Time);
        limits.KeepAlivePingTimeout = Kestrel(keepAlive.Timeout);
        return kestrel;
    }

    /// <summary>Kestrel spells "never" as <see cref="TimeSpan.MaxValue"/>.</summary>
    private static TimeSpan Kestrel(TimeSpan value) => value == Timeout.InfiniteTimeSpan ? TimeSpan.MaxValue : value;
}
