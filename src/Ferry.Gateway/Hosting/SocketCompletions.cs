namespace Ferry.Gateway.Hosting;

/// <summary>
/// Process-wide choice of where .NET runs socket completions. By default the runtime's epoll thread hands every
/// completed receive and send to the thread pool; the gateway's handlers only copy bytes and flip state before they
/// await, so running them on the epoll thread saves a thread-pool hop per socket operation: two of the four hops of a
/// one-stream call through the gateway, and about a tenth of its CPU per call under load (bench/gateway.sh, ferryb
/// runs). The runtime reads the setting once, when the first socket registers, so this must run before any socket
/// is opened; an explicit <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c> in the environment wins.
/// </summary>
internal static class SocketCompletions
{
    private const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static void PreferInline()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }

    /// <summary>"inline" or "thread-pool", as the runtime will read it.</summary>
    public static string Mode => Environment.GetEnvironmentVariable(Variable) == "1" ? "inline" : "thread-pool";
}
