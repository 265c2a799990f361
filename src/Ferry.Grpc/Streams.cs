namespace Ferry.Grpc;

/// <summary>Reads a stream of messages, one at a time.</summary>
public interface IAsyncStreamReader<out T>
{
    T Current { get; }

    Task<bool> MoveNext(CancellationToken cancellationToken);
}

/// <summary>Writes a stream of messages. Only one write may be pending at a time.</summary>
public interface IAsyncStreamWriter<in T>
{
    /// <summary>Options for the messages written from now on (e.g. to send some uncompressed).</summary>
    WriteOptions? WriteOptions { get; set; }

    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}

/// <summary>Per-message write settings.</summary>
public sealed record WriteOptions(bool NoCompress = false);

/// <summary>The request side of a client or duplex streaming call.</summary>
public interface IClientStreamWriter<in T> : IAsyncStreamWriter<T>
{
    /// <summary>Half-closes the request: no more messages will be written.</summary>
    Task CompleteAsync();
}

/// <summary>The response side of a server or duplex streaming call.</summary>
public interface IServerStreamWriter<in T> : IAsyncStreamWriter<T>
{
}

public static class AsyncStreamReaderExtensions
{
    /// <summary>Reads the remaining messages as an async sequence, for <c>await foreach</c>.</summary>
    public static async IAsyncEnumerable<T> ReadAllAsync<T>(
        this IAsyncStreamReader<T> reader,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        while (await reader.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            yield return reader.Current;
        }
    }
}
