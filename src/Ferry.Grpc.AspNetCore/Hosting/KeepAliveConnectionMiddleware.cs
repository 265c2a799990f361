using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Ferry.Grpc.AspNetCore.Hosting;

/// <summary>
/// Kestrel connection middleware enforcing the keepalive policy of <see cref="ServerKeepAliveOptions"/>. It wraps the
/// connection's transport, so it must sit after <c>UseHttps</c> to see plaintext HTTP/2; before TLS it sees no
/// preface and passes everything through untouched.
/// </summary>
internal sealed class KeepAliveConnectionMiddleware(ConnectionDelegate next, ServerKeepAliveOptions options, ILogger logger)
{
    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        var transport = connection.Transport;
        using var enforcer = new KeepAliveEnforcer(
            options,
            connection.ConnectionId,
            () => connection.Abort(new ConnectionAbortedException("GOAWAY too_many_pings: the client sent too many pings.")),
            logger);
        connection.Transport = new DuplexPipe(
            new KeepAliveInboundReader(transport.Input, enforcer),
            new KeepAliveOutboundWriter(transport.Output, enforcer));
        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            connection.Transport = transport;
        }
    }

    private sealed record DuplexPipe(PipeReader Input, PipeWriter Output) : IDuplexPipe;
}
