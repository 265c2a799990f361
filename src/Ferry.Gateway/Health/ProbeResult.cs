using Ferry.Grpc;

namespace Ferry.Gateway.Health;

/// <summary>What one active health check found. Only <see cref="ProbeOutcome.Serving"/> passes.</summary>
internal enum ProbeOutcome
{
    Serving,

    /// <summary>The backend answered NOT_SERVING (or UNKNOWN, which a server sends while it cannot tell).</summary>
    NotServing,

    /// <summary>The backend does not know the service asked for.</summary>
    ServiceUnknown,

    /// <summary>No answer within the check's timeout.</summary>
    Timeout,

    /// <summary>Nothing listens at the endpoint's address.</summary>
    ConnectionRefused,

    /// <summary>The connection could not be made or broke (other socket errors, TLS, resets).</summary>
    ConnectionFailed,

    /// <summary>The call ended with another gRPC status (e.g. UNIMPLEMENTED: no health service on the backend).</summary>
    Error,

    /// <summary>
    /// No verdict: the cluster's connection pool was already disposed (the cluster was replaced by a reload and
    /// its probes are about to stop). Counts neither way.
    /// </summary>
    Abandoned,
}

/// <summary>A check's outcome and, for failures, the detail that explains it in logs.</summary>
internal readonly record struct ProbeResult(ProbeOutcome Outcome, string Detail = "")
{
    public static ProbeResult Serving { get; } = new(ProbeOutcome.Serving);

    public bool Passed => Outcome == ProbeOutcome.Serving;

    public static ProbeResult FromStatus(Status status) =>
        new(ProbeOutcome.Error, status.Detail.Length == 0 ? $"status {status.StatusCode}" : $"status {status.StatusCode}: {status.Detail}");

    /// <summary>The reason given in the log line that takes an endpoint out.</summary>
    public string Describe() => Outcome switch
    {
        ProbeOutcome.Serving => "SERVING",
        ProbeOutcome.Abandoned => "abandoned (cluster replaced)",
        ProbeOutcome.NotServing => Detail.Length == 0 ? "NOT_SERVING" : $"NOT_SERVING ({Detail})",
        ProbeOutcome.ServiceUnknown => Detail.Length == 0 ? "SERVICE_UNKNOWN" : $"SERVICE_UNKNOWN ({Detail})",
        ProbeOutcome.Timeout => Detail.Length == 0 ? "timeout" : $"timeout ({Detail})",
        ProbeOutcome.ConnectionRefused => "connection refused",
        ProbeOutcome.ConnectionFailed => Detail.Length == 0 ? "connection failed" : $"connection failed ({Detail})",
        _ => Detail,
    };
}
