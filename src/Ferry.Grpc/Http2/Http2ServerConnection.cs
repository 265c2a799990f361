using System.IO.Pipelines;

namespace Ferry.Grpc.Http2;

/// <summary>
/// The server side of one HTTP/2 connection (prior knowledge or after ALPN "h2"), built for forwarding: requests are
/// validated and handed to an <see cref="IHttp2StreamHandler"/> with their headers as strings and their bodies as
/// pipes; responses are encoded straight into the output. No HttpContext, no per-request task of its own.
/// </summary>
internal sealed class Http2ServerConnection : IAsyncDisposable
{
    public Http2ServerConnection(IDuplexPipe transport, Http2ServerOptions options, IHttp2StreamHandler handler, TimeProvider time) =>
        throw new NotImplementedException();

    /// <summary>Streams open now.</summary>
    public int ActiveStreams => throw new NotImplementedException();

    /// <summary>
    /// Reads the client preface and serves the connection until it ends: the client closed it, a connection error
    /// (GOAWAY sent with the error), <see cref="Abort"/>, or a <see cref="Shutdown"/> whose streams all finished.
    /// Peer errors never throw from here.
    /// </summary>
    public Task RunAsync() => throw new NotImplementedException();

    /// <summary>
    /// Graceful shutdown: GOAWAY (no new streams beyond those already started), the streams in flight finish, then
    /// the connection closes and <see cref="RunAsync"/> completes.
    /// </summary>
    public void Shutdown() => throw new NotImplementedException();

    /// <summary>Closes the connection now: streams in flight fail (their OnAborted callbacks run).</summary>
    public void Abort(string reason) => throw new NotImplementedException();

    public ValueTask DisposeAsync() => throw new NotImplementedException();
}
