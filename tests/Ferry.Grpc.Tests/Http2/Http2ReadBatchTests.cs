using System.IO.Pipelines;
using Ferry.Grpc.Http2;

namespace Ferry.Grpc.Tests.Http2;

/// <summary>
/// A read batch holds back body continuations and writer wake-ups until it ends, then runs them on its own thread:
/// continuations first, then writers, each once; nothing held back is lost, even when a continuation throws.
/// </summary>
public sealed class Http2ReadBatchTests
{
    private static readonly TimeSpan Timeout = ScriptedHttp2Server.Timeout;

    [Fact]
    public void Writers_woken_in_a_batch_run_when_it_ends_on_its_thread_in_the_order_woken()
    {
        var ran = new List<(string Name, int Thread)>();
        var first = new AsyncSignal();
        var second = new AsyncSignal();
        _ = RecordAsync(first, "first", ran);
        _ = RecordAsync(second, "second", ran);

        Http2ReadBatch.Begin();
        Http2ReadBatch.Wake(first, inline: true);
        Http2ReadBatch.Wake(second, inline: false);
        Assert.Empty(ran);
        Http2ReadBatch.End();

        var thread = Environment.CurrentManagedThreadId;
        Assert.Equal([("first", thread), ("second", thread)], ran);
    }

    [Fact]
    public void A_nested_batch_leaves_the_work_to_the_outermost()
    {
        var ran = new List<(string Name, int Thread)>();
        var writer = new AsyncSignal();
        _ = RecordAsync(writer, "writer", ran);

        Http2ReadBatch.Begin();
        Http2ReadBatch.Begin();
        Http2ReadBatch.Wake(writer, inline: true);
        Http2ReadBatch.End();
        Assert.Empty(ran);
        Http2ReadBatch.End();

        Assert.Single(ran);
    }

    [Fact]
    public void A_body_read_resumes_at_the_end_of_the_batch_that_flushed_its_data()
    {
        var pipe = new Pipe(new PipeOptions(readerScheduler: Http2ReadBatch.Scheduler, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
        var resumedOn = new List<int>();
        var reading = ReadOnceAsync(pipe.Reader, resumedOn);
        Assert.False(reading.IsCompleted);

        Http2ReadBatch.Begin();
        Assert.True(pipe.Writer.WriteAsync(new byte[] { 1 }).IsCompleted);
        Assert.Empty(resumedOn);
        Http2ReadBatch.End();

        Assert.True(reading.IsCompleted);
        Assert.Equal([Environment.CurrentManagedThreadId], resumedOn);
    }

    [Fact]
    public void Work_a_continuation_causes_at_the_end_of_a_batch_joins_it()
    {
        var ran = new List<(string Name, int Thread)>();
        var writer = new AsyncSignal();
        _ = RecordAsync(writer, "writer", ran);

        Http2ReadBatch.Begin();
        Http2ReadBatch.Scheduler.Schedule(_ =>
        {
            ran.Add(("continuation", Environment.CurrentManagedThreadId));
            Http2ReadBatch.Wake(writer, inline: false);
        }, null);
        Http2ReadBatch.End();

        Assert.Equal(["continuation", "writer"], ran.Select(r => r.Name));
    }

    [Fact]
    public async Task Outside_a_batch_a_continuation_goes_to_the_thread_pool()
    {
        // Run inline, the continuation would wait for a release that only comes after Schedule returned.
        using var released = new SemaphoreSlim(0);
        var ran = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        Http2ReadBatch.Scheduler.Schedule(_ => ran.TrySetResult(released.Wait(Timeout)), null);
        released.Release();

        Assert.True(await ran.Task.WaitAsync(Timeout));
    }

    [Fact]
    public async Task When_a_continuation_throws_the_rest_is_handed_to_the_thread_pool_and_the_batch_is_closed()
    {
        var later = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = new AsyncSignal();
        var woken = WakeAsync(writer);

        Http2ReadBatch.Begin();
        Http2ReadBatch.Wake(writer, inline: true);
        Http2ReadBatch.Scheduler.Schedule(_ => throw new InvalidOperationException("broken continuation"), null);
        Http2ReadBatch.Scheduler.Schedule(_ => later.TrySetResult(), null);
        var error = Assert.Throws<InvalidOperationException>(Http2ReadBatch.End);

        Assert.Equal("broken continuation", error.Message);
        await later.Task.WaitAsync(Timeout);
        await woken.WaitAsync(Timeout);

        // The batch is closed: a wake-up now runs at once.
        var ran = new List<(string Name, int Thread)>();
        var next = new AsyncSignal();
        _ = RecordAsync(next, "next", ran);
        Http2ReadBatch.Wake(next, inline: true);
        Assert.Single(ran);
    }

    private static async Task RecordAsync(AsyncSignal signal, string name, List<(string Name, int Thread)> ran)
    {
        await signal.WaitAsync().ConfigureAwait(false);
        ran.Add((name, Environment.CurrentManagedThreadId));
    }

    private static async Task WakeAsync(AsyncSignal signal) => await signal.WaitAsync().ConfigureAwait(false);

    private static async Task ReadOnceAsync(PipeReader reader, List<int> resumedOn)
    {
        var result = await reader.ReadAsync().ConfigureAwait(false);
        resumedOn.Add(Environment.CurrentManagedThreadId);
        reader.AdvanceTo(result.Buffer.End);
    }
}
