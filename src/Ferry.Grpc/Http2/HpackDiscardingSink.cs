namespace Ferry.Grpc.Http2;

/// <summary>
/// Takes the fields of a header block nobody wants (its stream is gone or refused): the block is still decoded,
/// because HPACK state must stay in step with the peer's.
/// </summary>
internal sealed class HpackDiscardingSink : IHpackHeaderSink
{
    public static readonly HpackDiscardingSink Instance = new();

    public void OnHeader(string name, string value)
    {
    }
}
