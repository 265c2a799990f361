using System.Threading.Channels;
using Ferry.Grpc;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>
/// What a test sees of one backend: how many requests and calls reached it, the calls that are holding (waiting
/// for the test or for cancellation), and the progress of a flooding server stream. Sync points only, no sleeps.
/// </summary>
public sealed class BackendProbe(string name)
{
    private readonly Channel<HeldCall> _held = Channel.CreateUnbounded<HeldCall>();
    private int _requests;
    private int _calls;
    private int _messagesWritten;

    public string Name { get; } = name;

    /// <summary>How long every <c>echo</c> waits before it answers: a slow backend, for latency-aware balancing.</summary>
    public TimeSpan ResponseDelay { get; set; }

    /// <summary>HTTP requests of any kind that reached the backend (gRPC or not).</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Calls that reached a <see cref="ProbeService"/> handler.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Messages the last <c>flood</c> stream managed to write.</summary>
    public int MessagesWritten => Volatile.Read(ref _messagesWritten);

    /// <summary>Set when a <c>flood</c> write stayed pending for the block threshold: the count written until then.</summary>
    public TaskCompletionSource<int> WritesBlocked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The next call that reached <c>hold</c>, in arrival order.</summary>
    public async Task<HeldCall> NextHeldAsync() =>
        await _held.Reader.ReadAsync().AsTask().WaitAsync(TestTimeouts.Default);

    internal void CountRequest() => Interlocked.Increment(ref _requests);

    internal void CountCall() => Interlocked.Increment(ref _calls);

    internal void CountWrite() => Interlocked.Increment(ref _messagesWritten);

    internal void ResetWrites() => Volatile.Write(ref _messagesWritten, 0);

    internal void Hold(HeldCall call) => _held.Writer.TryWrite(call);
}

/// <summary>A call whose handler waits until the test releases it or the call is cancelled.</summary>
public sealed class HeldCall(ServerCallContext context)
{
    public ServerCallContext Context { get; } = context;

    /// <summary>When the handler saw its cancellation token fire.</summary>
    public TaskCompletionSource<DateTime> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Lets the handler reply and end the call normally.</summary>
    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
