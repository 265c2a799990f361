namespace Ferry.Grpc.Tests.Faults;

/// <summary>When the server saw a call cancelled, and what its deadline was.</summary>
public sealed record CancellationObserved(DateTime AtUtc, DateTime Deadline);
