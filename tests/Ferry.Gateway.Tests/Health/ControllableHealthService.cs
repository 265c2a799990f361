using Ferry.Grpc;
using Grpc.Health.V1;

namespace Ferry.Gateway.Tests.Health;

/// <summary>A backend's grpc.health.v1.Health whose answer the test sets: a status, or a delay past the check's timeout.</summary>
public sealed class ControllableHealthService : global::Grpc.Health.V1.Health.HealthBase
{
    private volatile HealthCheckResponse.Types.ServingStatus _status = HealthCheckResponse.Types.ServingStatus.Serving;
    private long _delayTicks;
    private int _checks;
    private string? _lastService;

    public HealthCheckResponse.Types.ServingStatus Status
    {
        get => _status;
        set => _status = value;
    }

    /// <summary>How long each check waits before answering (until the caller's deadline cancels it).</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    public int Checks => Volatile.Read(ref _checks);

    /// <summary>The service name the last check asked about.</summary>
    public string? LastService => Volatile.Read(ref _lastService);

    public override async Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context)
    {
        Interlocked.Increment(ref _checks);
        Volatile.Write(ref _lastService, request.Service);
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.CancellationToken);
        }

        return new HealthCheckResponse { Status = Status };
    }
}
