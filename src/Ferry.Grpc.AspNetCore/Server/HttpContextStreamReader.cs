namespace Ferry.Grpc.AspNetCore.Server;

/// <summary>The request stream a streaming handler reads.</summary>
internal sealed class HttpContextStreamReader<T>(HttpContextServerCallContext call, Marshaller<T> marshaller) : IAsyncStreamReader<T>
    where T : class
{
    private T? _current;
    private bool _ended;

    public T Current => _current ?? throw new InvalidOperationException("No current message: call MoveNext first.");

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        if (_ended)
        {
            return false;
        }

        using var linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, call.CancellationToken)
            : null;
        var (hasMessage, message) = await call.ReadMessageAsync(marshaller, linked?.Token ?? call.CancellationToken).ConfigureAwait(false);
        _current = hasMessage ? message : null;
        _ended = !hasMessage;
        return hasMessage;
    }
}
