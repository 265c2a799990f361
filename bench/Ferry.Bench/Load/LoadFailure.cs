namespace Ferry.Bench.Load;

/// <summary>A call ended with a non-OK status or carried the wrong number of bytes: the run is invalid.</summary>
internal sealed class LoadFailure(string message, Exception? inner = null) : Exception(message, inner);
