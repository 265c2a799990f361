namespace Ferry.Grpc.Tests.Faults;

/// <summary>
/// What the test sees of the server side of a call: sync points the handlers of <see cref="FaultServiceImpl"/> set,
/// instead of sleeps.
/// </summary>
public sealed class FaultProbe
{
    /// <summary>A handler reached the point where it waits (for cancellation, or for <see cref="Release"/>).</summary>
    public TaskCompletionSource<ServerCallContext> Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A waiting handler saw its <see cref="ServerCallContext.CancellationToken"/> fire.</summary>
    public TaskCompletionSource<CancellationObserved> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets a handler that waits for the test go on.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A handler returned or threw.</summary>
    public TaskCompletionSource<Exception?> Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Request messages the streaming handlers received.</summary>
    public int MessagesReceived => Volatile.Read(ref _messagesReceived);

    private int _messagesReceived;

    internal void CountMessage() => Interlocked.Increment(ref _messagesReceived);
}
