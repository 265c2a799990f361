namespace Ferry.Grpc.Compression;

/// <summary>A message encoding named in <c>grpc-encoding</c> (e.g. gzip).</summary>
public interface ICompressionProvider
{
    string EncodingName { get; }

    Stream CreateCompressionStream(Stream output);

    Stream CreateDecompressionStream(Stream input);
}
