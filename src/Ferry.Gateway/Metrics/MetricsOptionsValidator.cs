using Microsoft.Extensions.Options;

namespace Ferry.Gateway.Metrics;

/// <summary>Checks <see cref="MetricsOptions"/>, collecting every error rather than stopping at the first.</summary>
internal sealed class MetricsOptionsValidator : IValidateOptions<MetricsOptions>
{
    public const int MaxSeriesLimit = 100_000;

    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        var errors = Errors(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static List<string> Errors(MetricsOptions options)
    {
        var errors = new List<string>();
        if (options.MeterPrefixes is null)
        {
            errors.Add("Metrics: MeterPrefixes must be set.");
        }
        else if (options.MeterPrefixes.Count == 0)
        {
            errors.Add("Metrics: MeterPrefixes must name at least one meter prefix.");
        }
        else
        {
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < options.MeterPrefixes.Count; i++)
            {
                var prefix = options.MeterPrefixes[i];
                if (string.IsNullOrWhiteSpace(prefix))
                {
                    errors.Add($"Metrics: MeterPrefixes[{i}] is empty.");
                }
                else if (prefix.Any(c => char.IsWhiteSpace(c) || c == '*' || c == '?'))
                {
                    errors.Add($"Metrics: MeterPrefixes[{i}] ('{prefix}') must be a meter name prefix, without spaces or wildcards.");
                }
                else if (!seen.TryAdd(prefix, i))
                {
                    errors.Add($"Metrics: MeterPrefixes[{i}] ('{prefix}') repeats MeterPrefixes[{seen[prefix]}].");
                }
            }
        }

        if (options.MaxSeriesPerInstrument is < 1 or > MaxSeriesLimit)
        {
            errors.Add($"Metrics: MaxSeriesPerInstrument must be between 1 and {MaxSeriesLimit}; it is {options.MaxSeriesPerInstrument}.");
        }

        return errors;
    }
}
