using Ferry.Gateway.Runtime;
using Ferry.Grpc;
using Grpc.Health.V1;

namespace Ferry.Gateway.Health;

/// <summary>
/// The gateway's own grpc.health.v1.Health: "" is the gateway itself (SERVING while it runs); a cluster name is
/// SERVING while at least one of its endpoints takes calls.
/// </summary>
internal sealed class GatewayHealthService(GatewayRuntime runtime, TimeProvider time) : global::Grpc.Health.V1.Health.HealthBase
{
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(1);

    public override Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context) =>
        Task.FromResult(new HealthCheckResponse { Status = StatusOf(request.Service) ?? throw new RpcException(new Status(StatusCode.NotFound, $"Unknown service '{request.Service}': ask for \"\" (the gateway) or a cluster name.")) });

    public override async Task Watch(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> responseStream, ServerCallContext context)
    {
        HealthCheckResponse.Types.ServingStatus? last = null;
        while (!context.CancellationToken.IsCancellationRequested)
        {
            var status = StatusOf(request.Service) ?? HealthCheckResponse.Types.ServingStatus.ServiceUnknown;
            if (status != last)
            {
                await responseStream.WriteAsync(new HealthCheckResponse { Status = status }).ConfigureAwait(false);
                last = status;
            }

            await Task.Delay(WatchInterval, time, context.CancellationToken).ConfigureAwait(false);
        }
    }

    private HealthCheckResponse.Types.ServingStatus? StatusOf(string service)
    {
        if (service.Length == 0)
        {
            return HealthCheckResponse.Types.ServingStatus.Serving;
        }

        return runtime.Current.Clusters.TryGetValue(service, out var cluster)
            ? cluster.Endpoints.Any(e => e.IsAvailable) ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.NotServing
            : null;
    }
}
