using System.Net;

namespace Ferry.Grpc.Client;

/// <summary>The request body of a call: the call writes it, for as long as the call streams.</summary>
internal sealed class GrpcRequestContent : HttpContent
{
    private static readonly System.Net.Http.Headers.MediaTypeHeaderValue GrpcContentType = new(Protocol.GrpcProtocol.ContentType);

    private readonly Func<Stream, bool, CancellationToken, Task> _writeBody;
    private readonly bool _singleMessage;

    public GrpcRequestContent(Func<Stream, bool, CancellationToken, Task> writeBody, bool singleMessage)
    {
        _writeBody = writeBody;
        _singleMessage = singleMessage;
        Headers.ContentType = GrpcContentType;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        _writeBody(stream, _singleMessage, CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        _writeBody(stream, _singleMessage, cancellationToken);

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
