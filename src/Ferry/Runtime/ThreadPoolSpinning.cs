namespace Ferry.Cli.Runtime;

/// <summary>
/// An idle thread-pool worker spins, yielding its core, before it sleeps, so that work queued just after finds it
/// awake. The gateway's frame work runs on the epoll threads (<see cref="InlineSocketCompletions"/>) and gives the pool
/// little, so the spinning was mostly cost: a twentieth of the gateway's CPU in a bidi echo went to sched_yield, on
/// the core the backend needed (bench A/B: bidi MiB/s and unary CPU per call both better without it). The pool
/// reads the limit once, from the environment, when its first worker starts: so the gateway command calls this before
/// it starts anything, and a value already in the environment wins. Only the gateway, as for inline completions.
/// </summary>
internal static class ThreadPoolSpinning
{
    public const string Variable = "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit";

    public static void Disable()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            Environment.SetEnvironmentVariable(Variable, "0");
        }
    }
}
