using System.Globalization;

namespace Ferry.Gateway.Config;

/// <summary>
/// Durations written as Go's <c>time.ParseDuration</c> does: a sequence of decimal numbers each with a unit,
/// <c>250ms</c>, <c>5s</c>, <c>1m30s</c>, <c>1.5h</c>. Units: ns, us (µs), ms, s, m, h. Unlike Go a bare number,
/// even 0, is refused: whether 30 meant seconds or milliseconds is exactly the mistake the unit prevents.
/// Precision is TimeSpan's (100 ns); finer parts are rounded.
/// </summary>
internal static class GoDuration
{
    public const string ExpectedForm = "a duration with a unit, such as 250ms, 5s, 2m, 1h or 1m30s";

    private const decimal TicksPerNanosecond = 0.01m;

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        var span = text.AsSpan().Trim();
        var negative = false;
        if (span.Length > 0 && span[0] is '-' or '+')
        {
            negative = span[0] == '-';
            span = span[1..];
        }

        if (span.IsEmpty)
        {
            return false;
        }

        decimal ticks = 0;
        while (!span.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < span.Length && (char.IsAsciiDigit(span[numberLength]) || span[numberLength] == '.'))
            {
                numberLength++;
            }

            var unitLength = 0;
            while (numberLength + unitLength < span.Length && IsUnitChar(span[numberLength + unitLength]))
            {
                unitLength++;
            }

            if (numberLength == 0 || unitLength == 0
                || !decimal.TryParse(span[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
                || UnitTicks(span.Slice(numberLength, unitLength)) is not { } unit)
            {
                return false;
            }

            try
            {
                ticks += number * unit;
            }
            catch (OverflowException)
            {
                return false;
            }

            span = span[(numberLength + unitLength)..];
        }

        ticks = Math.Round(ticks, MidpointRounding.AwayFromZero);
        if (ticks > TimeSpan.MaxValue.Ticks)
        {
            return false;
        }

        value = TimeSpan.FromTicks((long)(negative ? -ticks : ticks));
        return true;
    }

    /// <summary>The shortest Go-style text for <paramref name="value"/>, e.g. <c>1m30s</c>, <c>250ms</c>, <c>0s</c>.</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }

        var builder = new System.Text.StringBuilder();
        if (value < TimeSpan.Zero)
        {
            builder.Append('-');
            value = value.Duration();
        }

        var hours = (long)value.TotalHours;
        if (hours > 0)
        {
            builder.Append(hours).Append('h');
        }

        if (value.Minutes > 0)
        {
            builder.Append(value.Minutes).Append('m');
        }

        var subMinuteTicks = value.Ticks % TimeSpan.TicksPerMinute;
        if (subMinuteTicks == 0)
        {
            return builder.ToString();
        }

        if (subMinuteTicks % TimeSpan.TicksPerSecond == 0 || builder.Length > 0 || subMinuteTicks >= TimeSpan.TicksPerSecond)
        {
            var seconds = (decimal)subMinuteTicks / TimeSpan.TicksPerSecond;
            return builder.Append(seconds.ToString("0.#######", CultureInfo.InvariantCulture)).Append('s').ToString();
        }

        var milliseconds = (decimal)subMinuteTicks / TimeSpan.TicksPerMillisecond;
        return builder.Append(milliseconds.ToString("0.####", CultureInfo.InvariantCulture)).Append("ms").ToString();
    }

    private static bool IsUnitChar(char c) => char.IsAsciiLetterLower(c) || c is 'µ' or 'μ';

    private static decimal? UnitTicks(ReadOnlySpan<char> unit) => unit switch
    {
        "ns" => TicksPerNanosecond,
        "us" or "µs" or "μs" => TimeSpan.TicksPerMicrosecond,
        "ms" => TimeSpan.TicksPerMillisecond,
        "s" => TimeSpan.TicksPerSecond,
        "m" => TimeSpan.TicksPerMinute,
        "h" => TimeSpan.TicksPerHour,
        _ => null,
    };
}
