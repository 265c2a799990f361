namespace Ferry.Grpc.Tests.KeepAlive;

/// <summary>
/// A clock that moves only when told. Timers are left to the system clock (the base class), so a grace period still
/// passes in real time while every interval the policy measures is set by the test.
/// </summary>
internal sealed class ManualClock : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
