namespace Ferry.Cli.Runtime;

/// <summary>
/// On Linux a socket's readiness is noticed by an epoll thread, which by default queues the completion to the thread
/// pool. Everything the gateway does on a completion is short, non-blocking frame work (read a batch, queue frames for
/// other connections, send), so the hand-off costs a thread wake-up per read and leaves pool threads spinning on cores
/// the backends may need. Inline completions turn the epoll threads (one per core) into event loops, the model of
/// nginx and HAProxy workers. .NET reads the switch once, from the environment, when it registers the first socket:
/// so the gateway command calls this before it starts anything, and a value already in the environment wins
/// (<c>0</c> keeps the hand-off). Only the gateway: a server running application handlers keeps the thread pool.
/// </summary>
internal static class InlineSocketCompletions
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static void Prefer()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }
}
