using System.Net;
using System.Net.Http.Headers;

namespace Ferry.Grpc.Tests.Http2;

/// <summary>
/// A request body written by a callback while the response is read. HttpClient treats its own content types
/// (ByteArrayContent, StreamContent) as non-duplex and returns no response before their body is sent; a derived
/// content is duplex, as grpc-dotnet's are.
/// </summary>
internal sealed class DuplexContent : HttpContent
{
    private readonly Func<Stream, Task> _write;

    public DuplexContent(Func<Stream, Task> write)
    {
        _write = write;
        Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => _write(stream);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
