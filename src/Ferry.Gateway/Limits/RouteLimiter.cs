using System.Threading.RateLimiting;
using Ferry.Gateway.Config;

namespace Ferry.Gateway.Limits;

/// <summary>
/// A route's admission control: a token bucket for the call rate and a cap on concurrent calls, both from
/// System.Threading.RateLimiting. Calls over either limit are refused at once, never queued.
/// </summary>
internal sealed class RouteLimiter : IDisposable
{
    private readonly TokenBucketRateLimiter? _rate;
    private readonly ConcurrencyLimiter? _concurrency;
    private readonly LimitRefusal _rateRefusal;
    private readonly LimitRefusal _concurrencyRefusal;

    private RouteLimiter(string routeName, RouteLimitsConfig config)
    {
        if (config.Rate is { } rate)
        {
            _rate = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = rate.Burst,
                TokensPerPeriod = Math.Max(1, (int)Math.Round(rate.TokensPerSecond / 10)),
                ReplenishmentPeriod = TimeSpan.FromSeconds(Math.Max(1, (int)Math.Round(rate.TokensPerSecond / 10)) / rate.TokensPerSecond),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        }

        if (config.MaxConcurrentStreams is { } max)
        {
            _concurrency = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = max, QueueLimit = 0 });
        }

        _rateRefusal = new LimitRefusal("rate", $"Rate limit of route '{routeName}' exceeded ({config.Rate?.TokensPerSecond} calls/s, burst {config.Rate?.Burst}).");
        _concurrencyRefusal = new LimitRefusal("concurrency", $"Concurrent stream limit of route '{routeName}' reached ({config.MaxConcurrentStreams}).");
    }

    public static RouteLimiter? Create(string routeName, RouteLimitsConfig config) =>
        config.Rate is null && config.MaxConcurrentStreams is null ? null : new RouteLimiter(routeName, config);

    /// <summary>Admits a call, or says which limit refused it. The lease must be disposed when the call ends.</summary>
    public RateLimitLease? TryAcquire(out LimitRefusal? refusal)
    {
        refusal = null;
        if (_rate is not null)
        {
            using var token = _rate.AttemptAcquire();
            if (!token.IsAcquired)
            {
                refusal = _rateRefusal;
                return null;
            }
        }

        if (_concurrency is null)
        {
            return null;
        }

        var lease = _concurrency.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            refusal = _concurrencyRefusal;
            return null;
        }

        return lease;
    }

    public void Dispose()
    {
        _rate?.Dispose();
        _concurrency?.Dispose();
    }
}

/// <summary>Which limit refused a call ("rate", "concurrency"; the metrics label) and the message for the client.</summary>
internal sealed record LimitRefusal(string Limit, string Message);
