using Ferry.Grpc.Http2;

namespace Ferry.Grpc.Tests.Http2;

public sealed class AsyncSignalTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Set_wakes_the_waiter_on_another_thread()
    {
        var signal = new AsyncSignal();
        var woke = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = WaitThenReportThreadAsync(signal, woke);

        signal.Set();

        Assert.NotEqual(-1, await woke.Task.WaitAsync(Timeout));
    }

    [Fact]
    public void A_set_before_the_wait_is_not_lost()
    {
        var signal = new AsyncSignal();
        signal.Set();

        Assert.True(signal.WaitAsync().IsCompleted);
        Assert.False(signal.WaitAsync().IsCompleted);
    }

    [Fact]
    public async Task Inside_a_batch_set_wakes_nobody_until_the_batch_ends_and_then_runs_the_waiter_on_this_thread()
    {
        var signal = new AsyncSignal();
        var woke = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = WaitThenReportThreadAsync(signal, woke);
        var thread = await Task.Run(() =>
        {
            AsyncSignal.BeginBatch();
            try
            {
                signal.Set();
                Thread.Sleep(200);
                Assert.False(woke.Task.IsCompleted, "the waiter ran before the batch ended");
            }
            finally
            {
                AsyncSignal.EndBatch();
            }

            // It ran inline, to its end, before EndBatch returned.
            Assert.True(woke.Task.IsCompleted);
            return Environment.CurrentManagedThreadId;
        }).WaitAsync(Timeout);

        Assert.Equal(thread, await woke.Task.WaitAsync(Timeout));
        await waiting.WaitAsync(Timeout);
    }

    [Fact]
    public async Task Nested_batches_defer_to_the_outermost_end()
    {
        var signal = new AsyncSignal();
        var woke = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = WaitThenReportThreadAsync(signal, woke);
        await Task.Run(() =>
        {
            AsyncSignal.BeginBatch();
            AsyncSignal.BeginBatch();
            signal.Set();
            AsyncSignal.EndBatch();
            Thread.Sleep(100);
            Assert.False(woke.Task.IsCompleted, "the inner batch's end woke the waiter");
            AsyncSignal.EndBatch();
            Assert.True(woke.Task.IsCompleted);
        }).WaitAsync(Timeout);

        // The thread is out of batching: a later set wakes as usual.
        var again = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = WaitThenReportThreadAsync(signal, again);
        await Task.Run(signal.Set).WaitAsync(Timeout);
        await again.Task.WaitAsync(Timeout);
    }

    [Fact]
    public async Task A_waiter_woken_at_the_batch_end_that_sets_another_gets_that_one_woken_too()
    {
        var first = new AsyncSignal();
        var second = new AsyncSignal();
        var woke = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = ChainAsync(first, second);
        _ = WaitThenReportThreadAsync(second, woke);
        await Task.Run(() =>
        {
            AsyncSignal.BeginBatch();
            first.Set();
            AsyncSignal.EndBatch();
            Assert.True(woke.Task.IsCompleted);
        }).WaitAsync(Timeout);

        static async Task ChainAsync(AsyncSignal first, AsyncSignal second)
        {
            await first.WaitAsync().ConfigureAwait(false);
            second.Set();
        }
    }

    // As the connections' writers do, without the test framework's synchronization context (which would post the
    // continuation instead of running it where the signal is set).
    private static async Task WaitThenReportThreadAsync(AsyncSignal signal, TaskCompletionSource<int> woke)
    {
        await signal.WaitAsync().ConfigureAwait(false);
        woke.SetResult(Environment.CurrentManagedThreadId);
    }
}
