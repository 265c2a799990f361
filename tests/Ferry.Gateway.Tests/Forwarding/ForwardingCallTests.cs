using Ferry.Gateway.Config;
using Ferry.Gateway.Forwarding;

namespace Ferry.Gateway.Tests.Forwarding;

public sealed class ForwardingCallTests
{
    private static ForwardingCall NewCall(TimeSpan? deadline = null) => new(new RouteTimeoutsConfig(), deadline, TimeProvider.System, TimeProvider.System.GetTimestamp());

    [Fact]
    public void A_token_taken_before_the_cancel_is_cancelled_by_it()
    {
        using var call = NewCall();
        var token = call.Token;
        Assert.False(token.IsCancellationRequested);

        call.Cancel(CancelReason.ClientGone);

        Assert.True(token.IsCancellationRequested);
        Assert.True(call.IsOver);
        Assert.Equal(CancelReason.ClientGone, call.Reason);
    }

    [Fact]
    public void A_token_taken_after_the_cancel_or_the_end_is_already_cancelled()
    {
        using var cancelled = NewCall();
        cancelled.Cancel(CancelReason.Idle);
        Assert.True(cancelled.Token.IsCancellationRequested);

        using var completed = NewCall();
        completed.Complete();
        Assert.True(completed.IsOver);
        Assert.Equal(CancelReason.None, completed.Reason);
        Assert.True(completed.Token.IsCancellationRequested);
    }

    [Fact]
    public void The_first_reason_stands()
    {
        using var call = NewCall();
        call.Cancel(CancelReason.Deadline);
        call.Cancel(CancelReason.ClientGone);

        Assert.Equal(CancelReason.Deadline, call.Reason);
    }

    [Fact]
    public async Task The_deadline_cancels_a_token_that_waits()
    {
        using var call = NewCall(TimeSpan.FromMilliseconds(50));
        var token = call.Token;

        await Task.Delay(Timeout.Infinite, token).ContinueWith(_ => { }).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(CancelReason.Deadline, call.Reason);
    }

    [Fact]
    public async Task A_token_taken_while_another_thread_cancels_always_ends_cancelled()
    {
        for (var i = 0; i < 2000; i++)
        {
            using var call = NewCall();
            using var start = new Barrier(2);
            var taking = Task.Run(() =>
            {
                start.SignalAndWait();
                return call.Token;
            });
            var cancelling = Task.Run(() =>
            {
                start.SignalAndWait();
                call.Cancel(CancelReason.ClientGone);
            });
            await cancelling;

            Assert.True((await taking).IsCancellationRequested, $"iteration {i}");
        }
    }
}
