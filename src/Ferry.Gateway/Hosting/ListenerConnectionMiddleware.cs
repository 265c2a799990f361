using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Ferry.Gateway.Hosting;

/// <summary>
/// Tags each connection with the listener it arrived on (so requests find their route table) and enforces the
/// listener's connection limit by closing connections over it at once.
/// </summary>
internal sealed class ListenerConnectionMiddleware(string listenerName, Func<long?> maxConnections)
{
    private const string ItemKey = "ferry.listener";
    private long _open;

    public async Task InvokeAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var open = Interlocked.Increment(ref _open);
        try
        {
            if (maxConnections() is { } max && open > max)
            {
                connection.Abort(new ConnectionAbortedException($"Listener '{listenerName}' is at its connection limit ({max})."));
                return;
            }

            connection.Items[ItemKey] = listenerName;
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    public static string? GetListener(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ItemKey, out var name) == true ? name as string : null;
}
