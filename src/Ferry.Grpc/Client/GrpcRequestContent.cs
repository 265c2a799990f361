using System.Net;

namespace Ferry.Grpc.Client;

/// <summary>The request body of a call: the call writes it, for as long as the call streams; a single message as often as it is sent.</summary>
internal sealed class GrpcRequestContent : HttpContent
{
    private static readonly System.Net.Http.Headers.MediaTypeHeaderValue GrpcContentType = new(Protocol.GrpcProtocol.ContentType);

    private readonly Func<Stream, bool, CancellationToken, Task> _writeBody;

    public GrpcRequestContent(Func<Stream, bool, CancellationToken, Task> writeBody, bool singleMessage)
    {
        _writeBody = writeBody;
        SingleMessage = singleMessage;
        Headers.ContentType = GrpcContentType;
    }

    /// <summary>The body is one message, staged before the call starts, and can be written again.</summary>
    public bool SingleMessage { get; }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        _writeBody(stream, SingleMessage, CancellationToken.None);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        _writeBody(stream, SingleMessage, cancellationToken);

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
