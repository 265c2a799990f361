using Ferry.Grpc.Compression;

namespace Ferry.Grpc.AspNetCore.Server;

/// <summary>The validated server options in the form the call path reads them.</summary>
internal sealed class ServerCallSettings(GrpcServerOptions options)
{
    public GrpcServerOptions Options { get; } = options;

    public CompressionProviders Compression { get; } = new(options.CompressionProviders);
}
