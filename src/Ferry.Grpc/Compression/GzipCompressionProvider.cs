using System.IO.Compression;

namespace Ferry.Grpc.Compression;

public sealed class GzipCompressionProvider(CompressionLevel level = CompressionLevel.Fastest) : ICompressionProvider
{
    public string EncodingName => "gzip";

    public Stream CreateCompressionStream(Stream output) => new GZipStream(output, level, leaveOpen: true);

    public Stream CreateDecompressionStream(Stream input) => new GZipStream(input, CompressionMode.Decompress, leaveOpen: true);
}
