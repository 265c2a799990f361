namespace Ferry.Gateway.Metrics;

/// <summary>
/// The tags of a measurement as they arrive from the <see cref="System.Diagnostics.Metrics.MeterListener"/>, used to
/// look up a <see cref="TagSet"/> without copying them (an alternate key of the series dictionaries).
/// </summary>
internal readonly ref struct TagSpan(ReadOnlySpan<KeyValuePair<string, object?>> tags)
{
    public ReadOnlySpan<KeyValuePair<string, object?>> Tags { get; } = tags;
}
