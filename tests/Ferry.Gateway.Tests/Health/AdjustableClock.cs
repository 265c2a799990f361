namespace Ferry.Gateway.Tests.Health;

/// <summary>
/// The system clock with a monotonic timestamp the test can move forward. Only <see cref="GetTimestamp"/> moves
/// (what ejection and back-off read); wall time and timers stay real, so the gateway runs normally meanwhile.
/// </summary>
internal sealed class AdjustableClock : TimeProvider
{
    private long _offset;

    public override long GetTimestamp() => base.GetTimestamp() + Interlocked.Read(ref _offset);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offset, (long)(by.TotalSeconds * TimestampFrequency));
}
