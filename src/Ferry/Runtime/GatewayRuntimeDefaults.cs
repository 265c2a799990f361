namespace Ferry.Cli.Runtime;

/// <summary>
/// Runtime switches the gateway runs best with. .NET reads each once, from the environment, early (the socket engine
/// when it registers the first socket, the thread pool when its first worker starts): so the gateway command applies
/// them before it starts anything, and a value already in the environment wins. Only the gateway: a server running
/// application handlers keeps the runtime's defaults.
/// </summary>
internal static class GatewayRuntimeDefaults
{
    /// <summary>
    /// On Linux an epoll thread notices a socket's readiness and by default queues the completion to the thread pool.
    /// What the gateway does on a completion is short, non-blocking frame work (read a batch, queue frames for other
    /// connections, send), so the hand-off cost a thread wake-up per read. Inline, the epoll threads (one per core)
    /// are event loops, the model of nginx and HAProxy workers. <c>0</c> keeps the hand-off.
    /// </summary>
    public const string InlineSocketCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// An idle thread-pool worker spins, yielding its core, before it sleeps. With the frame work on the epoll threads
    /// the pool gets little, so the spinning was mostly cost: a twentieth of the gateway's CPU in a bidi echo went to
    /// sched_yield, on the core the backend needed (bench A/B: bidi MiB/s and unary CPU per call both better without).
    /// </summary>
    public const string ThreadPoolSpinLimit = "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit";

    public static void Apply()
    {
        SetUnlessSet(InlineSocketCompletions, "1");
        SetUnlessSet(ThreadPoolSpinLimit, "0");
    }

    private static void SetUnlessSet(string variable, string value)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
        {
            Environment.SetEnvironmentVariable(variable, value);
        }
    }
}
