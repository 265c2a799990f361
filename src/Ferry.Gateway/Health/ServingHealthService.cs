using Ferry.Grpc;
using Grpc.Health.V1;

namespace Ferry.Gateway.Health;

/// <summary>A backend-side health service that reports SERVING while the process runs (used by the demo backends).</summary>
public sealed class ServingHealthService : global::Grpc.Health.V1.Health.HealthBase
{
    public override Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context) =>
        Task.FromResult(new HealthCheckResponse { Status = HealthCheckResponse.Types.ServingStatus.Serving });
}
