namespace Ferry.Gateway.Forwarding;

/// <summary>Why the gateway itself ended a call, when it did.</summary>
internal enum CancelReason
{
    None,
    ClientGone,
    Deadline,
    MaxLifetime,
    Idle,
}

/// <summary>What one forwarded call came to, for metrics and the access log.</summary>
internal sealed class ForwardingOutcome
{
    public string Endpoint { get; set; } = "-";

    /// <summary>The gRPC status the client was given (from the backend or from the gateway); -1 if none (reset).</summary>
    public int GrpcStatus { get; set; } = -1;

    public long RequestBytes { get; set; }

    public long ResponseBytes { get; set; }

    public long RequestMessages { get; set; }

    public long ResponseMessages { get; set; }

    public int Attempts { get; set; }

    /// <summary>Of the attempts, those that followed a GOAWAY before the backend took the stream (not retries).</summary>
    public int Resends { get; set; }
}
