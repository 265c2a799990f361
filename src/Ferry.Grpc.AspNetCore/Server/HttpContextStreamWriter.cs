namespace Ferry.Grpc.AspNetCore.Server;

/// <summary>The response stream a streaming handler writes; each message is flushed so it leaves at once.</summary>
internal sealed class HttpContextStreamWriter<T>(HttpContextServerCallContext call, Marshaller<T> marshaller) : IServerStreamWriter<T>
    where T : class
{
    private int _writePending;

    public WriteOptions? WriteOptions
    {
        get => call.WriteOptions;
        set => call.WriteOptions = value;
    }

    public async Task WriteAsync(T message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (Interlocked.Exchange(ref _writePending, 1) == 1)
        {
            throw new InvalidOperationException("Can't write the message because the previous write is in progress.");
        }

        try
        {
            using var linked = cancellationToken.CanBeCanceled
                ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, call.CancellationToken)
                : null;
            await call.WriteMessageAsync(message, marshaller, flush: true, linked?.Token ?? call.CancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _writePending, 0);
        }
    }
}
