using System.Globalization;

namespace Ferry.Bench.Load;

/// <summary>
/// CPU time of another process from <c>/proc/PID/stat</c> (utime + stime, in clock ticks): the server's CPU per call
/// is read by the load generator itself at the edges of the measured window, so warm-up does not count.
/// </summary>
internal static class ProcessCpu
{
    public static long? ReadTicks(int? pid)
    {
        if (pid is not { } id)
        {
            return null;
        }

        var stat = File.ReadAllText($"/proc/{id}/stat");

        // The command name (field 2) may contain spaces; the fields after its closing parenthesis are fixed.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
}
