using Ferry.Gateway.Config;
using Ferry.Grpc;
using Ferry.Grpc.Client;
using Grpc.Health.V1;

namespace Ferry.Gateway.Health;

/// <summary>
/// Runs grpc.health.v1.Health/Check against one endpoint over the cluster's own connection pool, so a check tests
/// the connections calls use. Never throws: every way a check can end is a <see cref="ProbeResult"/>.
/// </summary>
internal sealed class EndpointHealthProbe : IDisposable
{
    private readonly ProbeTransportObserver _transport;
    private readonly GrpcChannel _channel;
    private readonly global::Grpc.Health.V1.Health.HealthClient _client;
    private readonly HealthCheckRequest _request;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;

    public EndpointHealthProbe(Uri endpoint, HttpMessageHandler clusterHandler, ActiveHealthConfig config, TimeProvider time)
    {
        _transport = new ProbeTransportObserver(clusterHandler);
        // The channel does not dispose a handler it was given, so disposing it leaves the cluster's pool alone.
        _channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { HttpHandler = _transport, TimeProvider = time });
        _client = new global::Grpc.Health.V1.Health.HealthClient(_channel);
        _request = new HealthCheckRequest { Service = config.Service };
        _timeout = config.Timeout;
        _time = time;
    }

    public async Task<ProbeResult> CheckAsync(CancellationToken cancellationToken)
    {
        _transport.Reset();
        try
        {
            var deadline = _time.GetUtcNow().UtcDateTime + _timeout;
            using var call = _client.CheckAsync(_request, new CallOptions(deadline: deadline, cancellationToken: cancellationToken));
            var response = await call.ResponseAsync.ConfigureAwait(false);
            return response.Status switch
            {
                HealthCheckResponse.Types.ServingStatus.Serving => ProbeResult.Serving,
                HealthCheckResponse.Types.ServingStatus.ServiceUnknown => new ProbeResult(ProbeOutcome.ServiceUnknown, $"service '{_request.Service}'"),
                HealthCheckResponse.Types.ServingStatus.NotServing => new ProbeResult(ProbeOutcome.NotServing),
                var other => new ProbeResult(ProbeOutcome.NotServing, $"status {other}"),
            };
        }
        catch (RpcException ex)
        {
            return Classify(ex.Status);
        }
        catch (Exception ex)
        {
            // The client reports failures as RpcException; anything else (a handler disposed under a synchronous
            // send) is still only a failed check, never a reason to end the probe loop.
            return ProbeTransportObserver.ClassifyException(ex);
        }
    }

    public void Dispose() => _channel.Dispose();

    private ProbeResult Classify(Status status)
    {
        if (status.StatusCode == StatusCode.DeadlineExceeded)
        {
            return new ProbeResult(ProbeOutcome.Timeout, $"no answer within {_timeout.TotalMilliseconds:0.###} ms");
        }

        // A transport failure explains UNAVAILABLE (refused, reset) or INTERNAL (pool disposed) better than the status.
        return _transport.Classify() ?? ProbeResult.FromStatus(status);
    }
}
