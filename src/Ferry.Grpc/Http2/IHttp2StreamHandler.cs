namespace Ferry.Grpc.Http2;

/// <summary>What an <see cref="Http2ServerConnection"/> hands each new request to. One instance per connection.</summary>
internal interface IHttp2StreamHandler
{
    /// <summary>
    /// A request's headers arrived and were valid. Called on the connection's read loop, outside its lock, after the
    /// whole batch of frames the headers came in was processed (so body bytes that arrived with them are already
    /// readable). It must not block: start the work and return. The handler owns the stream from here and must call
    /// <see cref="Http2ServerStream.Complete"/> exactly once when it is done with it.
    /// </summary>
    void OnRequest(Http2ServerStream stream);
}
