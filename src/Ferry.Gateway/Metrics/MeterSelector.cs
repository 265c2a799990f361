using System.Diagnostics.Metrics;

namespace Ferry.Gateway.Metrics;

/// <summary>
/// Decides which meters an exporter listens to: by name prefix (see <see cref="MetricsOptions.MeterPrefixes"/>), and by
/// scope. A meter made by an <see cref="IMeterFactory"/> carries that factory as its scope; an exporter given its
/// container's factory ignores meters of other containers in the same process (several hosts in one test run), while
/// meters made without a factory (<c>new Meter(...)</c>, HttpClient's default meter) are seen by every exporter.
/// </summary>
internal sealed class MeterSelector(IReadOnlyList<string> prefixes, IMeterFactory? scope)
{
    public bool Selects(Meter meter)
    {
        if (meter.Scope is not null && scope is not null && !ReferenceEquals(meter.Scope, scope))
        {
            return false;
        }

        foreach (var prefix in prefixes)
        {
            if (Matches(meter.Name, prefix))
            {
                return true;
            }
        }

        return false;
    }

    public static bool Matches(string meterName, string prefix)
    {
        if (!meterName.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        return prefix.EndsWith('.') || meterName.Length == prefix.Length || meterName[prefix.Length] == '.';
    }
}
