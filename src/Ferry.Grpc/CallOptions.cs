namespace Ferry.Grpc;

/// <summary>Per-call settings: request metadata, deadline, cancellation and message compression.</summary>
public readonly record struct CallOptions
{
    public CallOptions(Metadata? headers = null, DateTime? deadline = null, CancellationToken cancellationToken = default, string? compression = null)
    {
        Headers = headers;
        Deadline = deadline;
        CancellationToken = cancellationToken;
        Compression = compression;
    }

    public Metadata? Headers { get; init; }

    /// <summary>Absolute deadline (UTC). Null means none.</summary>
    public DateTime? Deadline { get; init; }

    public CancellationToken CancellationToken { get; init; }

    /// <summary>Encoding used to compress request messages (e.g. <c>gzip</c>); null sends them uncompressed.</summary>
    public string? Compression { get; init; }

    public CallOptions WithHeaders(Metadata headers) => this with { Headers = headers };

    public CallOptions WithDeadline(DateTime deadline) => this with { Deadline = deadline };

    public CallOptions WithCancellationToken(CancellationToken cancellationToken) => this with { CancellationToken = cancellationToken };
}
