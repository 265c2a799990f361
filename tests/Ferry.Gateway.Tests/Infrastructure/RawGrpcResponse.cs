using System.Net.Http.Headers;
using Ferry.Grpc;

namespace Ferry.Gateway.Tests.Infrastructure;

/// <summary>A response read to its end; where grpc-status came from (headers or trailers) is kept apart.</summary>
internal sealed record RawGrpcResponse(
    int HttpStatus,
    IReadOnlyDictionary<string, string> Headers,
    byte[] Body,
    IReadOnlyDictionary<string, string> Trailers)
{
    /// <summary>One HEADERS frame with the status and nothing else: no body, no trailers.</summary>
    public bool IsTrailersOnly => Headers.ContainsKey("grpc-status") && Trailers.Count == 0 && Body.Length == 0;

    public StatusCode? GrpcStatus =>
        Headers.TryGetValue("grpc-status", out var value) || Trailers.TryGetValue("grpc-status", out value)
            ? (StatusCode)int.Parse(value, System.Globalization.CultureInfo.InvariantCulture)
            : null;

    public string? GrpcMessage =>
        Headers.TryGetValue("grpc-message", out var value) || Trailers.TryGetValue("grpc-message", out value)
            ? Uri.UnescapeDataString(value)
            : null;

    public static async Task<RawGrpcResponse> ReadAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsByteArrayAsync().WaitAsync(TestTimeouts.Default);
        return new RawGrpcResponse(
            (int)response.StatusCode,
            Collect(response.Headers, response.Content.Headers),
            body,
            Collect(response.TrailingHeaders));
    }

    public override string ToString() =>
        $"HTTP {HttpStatus} headers [{string.Join(", ", Headers.Select(h => h.Key + ": " + h.Value))}] body {Body.Length} bytes " +
        $"trailers [{string.Join(", ", Trailers.Select(h => h.Key + ": " + h.Value))}]";

    private static Dictionary<string, string> Collect(params HttpHeaders[] sets)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var set in sets)
        {
            foreach (var (name, values) in set.NonValidated)
            {
                result[name.ToLowerInvariant()] = values.ToString();
            }
        }

        return result;
    }
}
