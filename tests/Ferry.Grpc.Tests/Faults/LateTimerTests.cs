using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Ferry.Grpc.Tests.Faults;

/// <summary>
/// A runtime timer's Dispose does not wait for a callback already under way, so a call's deadline can fire just as
/// the call ends and its context is disposed. The server must shrug that off: an exception from a timer callback
/// would take the whole process down.
/// </summary>
public sealed class LateTimerTests
{
    private static readonly TimeSpan T = FaultHarness.Timeout;

    [Fact]
    public async Task A_deadline_that_fires_after_the_call_ended_is_harmless()
    {
        var time = new LateTimeProvider();
        var requestsDone = 0;
        var requestDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await FaultHarness.StartAsync(configure: b => b
            .WithServices(s => s.AddSingleton<TimeProvider>(time))
            .WithApp(app => app.Use(async (context, next) =>
            {
                // Runs after the endpoint, so after the call's context is disposed.
                await next(context);
                if (context.Request.Path.StartsWithSegments("/ferry.tests.FaultService") && Interlocked.Increment(ref requestsDone) == 1)
                {
                    requestDone.TrySetResult();
                }
            })));

        var reply = await harness.FaultClient.UnaryAsync(new FaultRequest { Action = "echo", Count = 5 }, deadline: DateTime.UtcNow.AddMinutes(5)).ResponseAsync.WaitAsync(T);
        Assert.Equal(5, reply.Sequence);
        await requestDone.Task.WaitAsync(T);

        // The deadline timer of the finished call now fires, as one already running when it was disposed would.
        Assert.True(time.FireDisposed() > 0, "the call armed no deadline timer");
        await using var bystander = await harness.OpenBystanderAsync();
        await harness.AssertConnectionSurvivedAsync(bystander);
    }

    /// <summary>
    /// Deadline timers that never fire on their own, and that remember their callback past Dispose, so a test can
    /// run it at the worst moment. Time itself, and every other timer, is the system's.
    /// </summary>
    private sealed class LateTimeProvider : TimeProvider
    {
        private readonly List<LateTimer> _timers = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (state is not Ferry.Grpc.Protocol.DeadlineTimer)
            {
                // Kestrel and hosting timers (shutdown, keepalive) run as usual.
                return System.CreateTimer(callback, state, dueTime, period);
            }

            var timer = new LateTimer(callback, state);
            lock (_timers)
            {
                _timers.Add(timer);
            }

            return timer;
        }

        /// <summary>Runs the callbacks of the timers disposed so far; returns how many.</summary>
        public int FireDisposed()
        {
            LateTimer[] disposed;
            lock (_timers)
            {
                disposed = _timers.Where(t => t.Disposed).ToArray();
            }

            foreach (var timer in disposed)
            {
                timer.Fire();
            }

            return disposed.Length;
        }

        private sealed class LateTimer(TimerCallback callback, object? state) : ITimer
        {
            public bool Disposed { get; private set; }

            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Fire() => callback(state);

            public void Dispose() => Disposed = true;

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
