using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Ferry.Gateway.Forwarding;
using Ferry.Grpc.Http2;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Ferry.Gateway.Hosting;

/// <summary>
/// Kestrel keeps the sockets and TLS; HTTP/2 connections are served by Ferry's own server connection, whose streams go
/// straight to the forwarder without HttpContext, request pipes or a task per request. A connection that does not
/// open with the HTTP/2 preface (HTTP/1.1: a metrics scrape, a browser) is passed on to Kestrel's HTTP/1.1.
/// On a <paramref name="plaintext"/> listener (nothing between this middleware and the socket transforms the bytes)
/// responses are sent on the socket itself, sparing a copy of every batch into Kestrel's output pipe.
/// </summary>
internal sealed class Http2ConnectionMiddleware(string listenerName, Http2ServerOptions options, GatewayRequestHandler handler, TimeProvider time, bool plaintext, ILogger logger)
{
    private static readonly byte[] Preface = Http2FrameWriter.ClientPreface.ToArray();

    public async Task InvokeAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        bool isHttp2;
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
        {
            // A connection that sends nothing goes to Kestrel, whose HTTP/1.1 header timeout then closes it.
            handshake.CancelAfter(options.HandshakeTimeout);
            isHttp2 = await StartsWithPrefaceAsync(connection.Transport.Input, handshake.Token).ConfigureAwait(false);
        }

        if (!isHttp2)
        {
            await next(connection).ConfigureAwait(false);
            return;
        }

        var client = new ClientConnection(
            listenerName,
            (connection.RemoteEndPoint as IPEndPoint)?.Address,
            isHttps: connection.Features.Get<ITlsHandshakeFeature>() is not null);
        var socket = plaintext ? connection.Features.Get<IConnectionSocketFeature>()?.Socket : null;
        await using var server = new Http2ServerConnection(connection.Transport, options, new StreamHandler(handler, client), time, socket);
        // Kestrel asks connections to close when the host stops: finish the calls in flight, then close.
        using var closing = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested
            .UnsafeRegister(static s => ((Http2ServerConnection)s!).Shutdown(), server);
        using var closed = connection.ConnectionClosed.UnsafeRegister(static s => ((Http2ServerConnection)s!).Abort("The client's connection closed."), server);
        await server.RunAsync().ConfigureAwait(false);
        if (server.ProtocolError is { } error)
        {
            // The client only learns it from the GOAWAY; whoever runs the gateway should be able to see it too.
            ConnectionLog.ProtocolError(logger, connection.RemoteEndPoint?.ToString(), listenerName, error.ErrorCode.ToString(), error.Message);
        }
    }

    /// <summary>
    /// Peeks (consumes nothing) until the bytes either match the whole client preface or stop matching it; HTTP/1.1
    /// differs at its first byte. Whoever runs next reads the connection from its start.
    /// </summary>
    private static async ValueTask<bool> StartsWithPrefaceAsync(PipeReader input, CancellationToken cancellationToken)
    {
        var preface = Preface;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }

            var buffer = result.Buffer;
            var length = (int)Math.Min(buffer.Length, preface.Length);
            var matches = StartsWith(buffer.Slice(0, length), preface.AsSpan(0, length));
            input.AdvanceTo(buffer.Start, matches && length < preface.Length ? buffer.End : buffer.Start);
            if (!matches || length == preface.Length)
            {
                return matches;
            }

            if (result.IsCompleted)
            {
                return false;
            }
        }
    }

    private static bool StartsWith(in ReadOnlySequence<byte> bytes, ReadOnlySpan<byte> expected)
    {
        Span<byte> copy = stackalloc byte[expected.Length];
        bytes.CopyTo(copy);
        return copy.SequenceEqual(expected);
    }

    private sealed class StreamHandler(GatewayRequestHandler handler, ClientConnection client) : IHttp2StreamHandler
    {
        public void OnRequest(Http2ServerStream stream) => handler.Handle(stream, client);
    }
}
