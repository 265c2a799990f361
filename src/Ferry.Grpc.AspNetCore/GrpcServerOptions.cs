using Ferry.Grpc.Compression;

namespace Ferry.Grpc.AspNetCore;

/// <summary>Server-side gRPC settings; every limit of the server's gRPC layer lives here.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>Largest request message accepted; larger ones fail with RESOURCE_EXHAUSTED. Default 4 MiB.</summary>
    public int MaxReceiveMessageSize { get; set; } = Protocol.GrpcProtocol.DefaultMaxReceiveMessageSize;

    /// <summary>Largest response message sent; larger ones fail with RESOURCE_EXHAUSTED. Default unlimited.</summary>
    public int MaxSendMessageSize { get; set; } = int.MaxValue;

    /// <summary>Put the exception's type and message in the status of a handler that throws. Off by default.</summary>
    public bool EnableDetailedErrors { get; set; }

    /// <summary>Encodings the server accepts and may respond with. gzip and deflate by default.</summary>
    public IList<ICompressionProvider> CompressionProviders { get; } = [new GzipCompressionProvider(), new DeflateCompressionProvider()];

    /// <summary>Compress responses with this encoding when the client accepts it; null (default) sends them plain.</summary>
    public string? ResponseCompression { get; set; }

    /// <summary>
    /// Refuse requests without <c>te: trailers</c>, which gRPC requires; its absence means an intermediary that may
    /// also lose the trailers carrying the status. Default true.
    /// </summary>
    public bool RequireTeTrailers { get; set; } = true;

    internal void Validate()
    {
        var errors = new List<string>();
        if (MaxReceiveMessageSize <= 0)
        {
            errors.Add($"{nameof(GrpcServerOptions)}.{nameof(MaxReceiveMessageSize)} must be positive (was {MaxReceiveMessageSize}).");
        }

        if (MaxSendMessageSize <= 0)
        {
            errors.Add($"{nameof(GrpcServerOptions)}.{nameof(MaxSendMessageSize)} must be positive (was {MaxSendMessageSize}).");
        }

        if (ResponseCompression is { } encoding && !CompressionProviders.Any(p => string.Equals(p.EncodingName, encoding, StringComparison.OrdinalIgnoreCase)))
        {
            errors.Add($"{nameof(GrpcServerOptions)}.{nameof(ResponseCompression)} '{encoding}' is not among the compression providers.");
        }

        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, errors));
        }
    }
}
