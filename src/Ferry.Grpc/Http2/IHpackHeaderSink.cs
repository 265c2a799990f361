namespace Ferry.Grpc.Http2;

/// <summary>Receives the fields of a header block in order as <see cref="HpackDecoder"/> decodes them.</summary>
internal interface IHpackHeaderSink
{
    void OnHeader(string name, string value);
}
