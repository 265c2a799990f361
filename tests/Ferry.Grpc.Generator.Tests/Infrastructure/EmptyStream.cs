namespace Ferry.Grpc.Generator.Tests.Infrastructure;

/// <summary>A message stream with nothing in it that accepts and drops writes.</summary>
internal sealed class EmptyStream<T> : IAsyncStreamReader<T>, IClientStreamWriter<T>, IServerStreamWriter<T>
{
    public WriteOptions? WriteOptions { get; set; }

    public T Current => throw new InvalidOperationException("The stream is empty.");

    public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromResult(false);

    public Task WriteAsync(T message, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task CompleteAsync() => Task.CompletedTask;
}
