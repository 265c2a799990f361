using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Ferry.Bench.Diagnostics;

/// <summary>
/// Which types a process allocates, from the runtime's own sampling: with the GC keyword at verbose level the runtime
/// raises <c>GCAllocationTick</c> about every 100 KB allocated, naming the type of the object that crossed the mark.
/// Summed per type, the samples show where the bytes go at little cost (no per-allocation hook). In-process, so it
/// needs no tool; <see cref="Report"/> lists the top types with their share (arrays of 1 KB and more by size too).
/// The sample falls on the object that crossed the mark, so a small object allocated right after a large one can be
/// credited with it: read the shares as "where about", not to the byte.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private const int AllocationTickEventId = 10;
    private readonly ConcurrentDictionary<string, long> _bytesByType = new(StringComparer.Ordinal);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventId != AllocationTickEventId || eventData.Payload is null || eventData.PayloadNames is null)
        {
            return;
        }

        var type = "?";
        long amount = 0;
        long size = -1;
        for (var i = 0; i < eventData.PayloadNames.Count; i++)
        {
            switch (eventData.PayloadNames[i])
            {
                case "TypeName":
                    type = eventData.Payload[i] as string ?? "?";
                    break;
                case "AllocationAmount64":
                    amount = Convert.ToInt64(eventData.Payload[i], CultureInfo.InvariantCulture);
                    break;
                case "ObjectSize":
                    size = Convert.ToInt64(eventData.Payload[i], CultureInfo.InvariantCulture);
                    break;
            }
        }

        // Arrays by size as well: which buffer it is shows in its length.
        if (size >= 1024 && type.EndsWith("[]", StringComparison.Ordinal))
        {
            type = string.Create(CultureInfo.InvariantCulture, $"{type} ({size} bytes)");
        }

        _bytesByType.AddOrUpdate(type, amount, (_, total) => total + amount);
    }

    /// <summary>The top types by sampled bytes, one line each: share, sampled MB, type.</summary>
    public string Report(int top)
    {
        var snapshot = _bytesByType.ToArray();
        var total = snapshot.Sum(kv => kv.Value);
        var lines = snapshot.OrderByDescending(kv => kv.Value).Take(top)
            .Select(kv => string.Create(CultureInfo.InvariantCulture, $"{100.0 * kv.Value / Math.Max(1, total),6:0.0}%  {kv.Value / 1e6,9:0.0} MB  {kv.Key}"));
        return string.Create(CultureInfo.InvariantCulture, $"allocation samples (GCAllocationTick, ~100 KB each): {total / 1e6:0.0} MB sampled") +
            Environment.NewLine + string.Join(Environment.NewLine, lines);
    }
}
