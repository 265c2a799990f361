namespace Ferry.Gateway.Health;

/// <summary>
/// Turns a run of check results into a verdict: <c>unhealthyThreshold</c> failures in a row take an endpoint out,
/// <c>healthyThreshold</c> passes in a row bring it back. An endpoint counts as healthy until its first verdict, so a
/// gateway that has just started (or reloaded) sends calls everywhere rather than nowhere.
/// </summary>
internal sealed class ActiveHealthCounter(int healthyThreshold, int unhealthyThreshold)
{
    private int _passes;
    private int _failures;

    public bool Healthy { get; private set; } = true;

    /// <summary>Failures in a row, including the one just recorded.</summary>
    public int ConsecutiveFailures => _failures;

    /// <summary>Passes in a row, including the one just recorded.</summary>
    public int ConsecutivePasses => _passes;

    /// <summary>Records one result; true when it changed <see cref="Healthy"/>.</summary>
    public bool Record(bool passed)
    {
        if (passed)
        {
            _failures = 0;
            _passes = _passes == int.MaxValue ? _passes : _passes + 1;
            if (!Healthy && _passes >= healthyThreshold)
            {
                Healthy = true;
                return true;
            }
        }
        else
        {
            _passes = 0;
            _failures = _failures == int.MaxValue ? _failures : _failures + 1;
            if (Healthy && _failures >= unhealthyThreshold)
            {
                Healthy = false;
                return true;
            }
        }

        return false;
    }
}
