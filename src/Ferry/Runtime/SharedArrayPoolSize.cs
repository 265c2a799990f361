namespace Ferry.Cli.Runtime;

/// <summary>
/// The shared <see cref="System.Buffers.ArrayPool{T}"/> keeps 32 arrays of each size per core. HttpClient's HTTP/2
/// code rents 16 and 32 KiB buffers from it for every stream in flight, so with hundreds of forwarded calls open on a
/// one-core gateway nearly every rent misses and allocates a new array (measured with bench/gateway.sh: 47 KB
/// allocated per call at 16 connections x 32 streams, 9 KB with room for 1024 arrays; less GC, lower peak RSS). The
/// pool reads its size once, from the environment, when first used: so this runs first thing in Main, and a value
/// already in the environment wins.
/// </summary>
internal static class SharedArrayPoolSize
{
    public const string Variable = "DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION";

    public static void Raise(int arraysPerPartition = 1024)
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            Environment.SetEnvironmentVariable(Variable, arraysPerPartition.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
