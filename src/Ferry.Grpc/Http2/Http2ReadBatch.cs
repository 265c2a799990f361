using System.IO.Pipelines;

namespace Ferry.Grpc.Http2;

/// <summary>
/// Work a connection's read loop causes, held back until the batch of frames it read is handled. Handling a read
/// wakes callers waiting for body data (the gateway's forwarding of a message) and writers of other connections
/// (a backend's response to the gateway's client, a client's requests to their backends). Done as each frame was
/// parsed, a unary response left in two writes (headers and message, then the trailers that came in the same read),
/// the requests of one read left one by one, and every body continuation cost a thread-pool hop. Held back, the
/// continuations run at the end of the batch on this thread, outside the connection's lock, and then each connection
/// they wrote to writes once: an event loop that flushes after a read. Callers' continuations must be short.
/// </summary>
internal static class Http2ReadBatch
{
    [ThreadStatic]
    private static int t_depth;

    [ThreadStatic]
    private static List<(Action<object?> Action, object? State)>? t_continuations;

    [ThreadStatic]
    private static List<AsyncSignal>? t_writers;

    /// <summary>
    /// Schedules what the read loop causes (a body buffer waking its reader, a stream's failure): scheduled during a
    /// batch, it runs at the batch's end on the same thread; scheduled elsewhere (a stream failed from another thread),
    /// on the thread pool.
    /// </summary>
    public static PipeScheduler Scheduler { get; } = new BatchScheduler();

    /// <summary>Opens a batch on this thread; batches nest, and the outermost one's <see cref="End"/> runs what was held back.</summary>
    public static void Begin() => t_depth++;

    /// <summary>Opens a batch that disposing the scope ends (<see cref="Begin"/> and <see cref="End"/> around a block).</summary>
    public static Scope Open()
    {
        Begin();
        return default;
    }

    /// <summary>
    /// Wakes a connection's writer: at the end of this thread's batch if one is open (a connection wakes its writer
    /// once until the writer takes its output, so each appears once), otherwise now: on this thread if
    /// <paramref name="inline"/>, else on the thread pool.
    /// </summary>
    public static void Wake(AsyncSignal writer, bool inline)
    {
        if (t_depth > 0)
        {
            (t_writers ??= []).Add(writer);
        }
        else if (inline)
        {
            writer.SetInline();
        }
        else
        {
            writer.Set();
        }
    }

    /// <summary>
    /// Closes the batch. The outermost runs the held-back continuations, then wakes the writers on this thread; the
    /// batch stays open meanwhile, so what they queue joins it (and continuations go before the next writer).
    /// </summary>
    public static void End()
    {
        if (t_depth > 1)
        {
            t_depth--;
            return;
        }

        var continuationsRun = 0;
        var writersRun = 0;
        try
        {
            while (true)
            {
                if (t_continuations is { } continuations && continuationsRun < continuations.Count)
                {
                    var (action, state) = continuations[continuationsRun++];
                    action(state);
                }
                else if (t_writers is { } writers && writersRun < writers.Count)
                {
                    writers[writersRun++].SetInline();
                }
                else
                {
                    break;
                }
            }
        }
        finally
        {
            t_depth = 0;
            HandOff(continuationsRun, writersRun);
        }
    }

    /// <summary>Clears the lists; what a throwing continuation left unrun goes to the thread pool, never lost.</summary>
    private static void HandOff(int continuationsRun, int writersRun)
    {
        if (t_continuations is { } continuations)
        {
            for (var i = continuationsRun; i < continuations.Count; i++)
            {
                System.Threading.ThreadPool.UnsafeQueueUserWorkItem(continuations[i].Action, continuations[i].State, preferLocal: false);
            }

            continuations.Clear();
        }

        if (t_writers is { } writers)
        {
            for (var i = writersRun; i < writers.Count; i++)
            {
                writers[i].Set();
            }

            writers.Clear();
        }
    }

    /// <summary>The batch <see cref="Open"/> began; disposing it ends the batch on this thread.</summary>
    public readonly struct Scope : IDisposable
    {
        public void Dispose() => End();
    }

    private sealed class BatchScheduler : PipeScheduler
    {
        public override void Schedule(Action<object?> action, object? state)
        {
            if (t_depth > 0)
            {
                (t_continuations ??= []).Add((action, state));
            }
            else
            {
                System.Threading.ThreadPool.UnsafeQueueUserWorkItem(action, state, preferLocal: false);
            }
        }
    }
}
