using System.Buffers;
using System.Buffers.Binary;
using Ferry.Gateway.Forwarding;
using Ferry.Gateway.Runtime;
using Ferry.Grpc;
using Ferry.Grpc.Http2;
using Ferry.Grpc.Protocol;
using Google.Protobuf;
using Grpc.Health.V1;
using Microsoft.Extensions.Hosting;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Ferry.Gateway.Health;

/// <summary>
/// The gateway's own grpc.health.v1.Health, answered on the client's stream: "" is the gateway itself (SERVING while
/// it runs); a cluster name is SERVING while at least one of its endpoints takes calls. Check answers once; Watch
/// sends the status and then every change until the client leaves or the gateway stops.
/// </summary>
internal sealed class GatewayHealthResponder(GatewayRuntime runtime, TimeProvider time, IHostApplicationLifetime lifetime)
{
    public const string PathPrefix = "/grpc.health.v1.Health/";
    private const int MaxRequestSize = 4096;
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(1);

    /// <summary>Answers the call and completes the stream.</summary>
    public async Task RespondAsync(Http2ServerStream stream)
    {
        try
        {
            var method = stream.Path[PathPrefix.Length..];
            var request = method is "Check" or "Watch" ? await ReadRequestAsync(stream).ConfigureAwait(false) : null;
            if (request is null)
            {
                StatusReply.WriteTrailersOnly(stream, new Status(StatusCode.Unimplemented, $"Method {stream.Path} is not implemented by the gateway's health service."));
            }
            else if (method is "Check")
            {
                if (StatusOf(request.Service) is { } status)
                {
                    WriteHeaders(stream);
                    await WriteResponseAsync(stream, status, CancellationToken.None).ConfigureAwait(false);
                    StatusReply.WriteTrailers(stream, Status.DefaultSuccess);
                }
                else
                {
                    StatusReply.WriteTrailersOnly(stream, new Status(StatusCode.NotFound, $"Unknown service '{request.Service}': ask for \"\" (the gateway) or a cluster name."));
                }
            }
            else
            {
                await WatchAsync(stream, request.Service).ConfigureAwait(false);
            }
        }
        catch (RpcException ex) when (!stream.HasStarted)
        {
            StatusReply.WriteTrailersOnly(stream, ex.Status);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // The client left (or the gateway is stopping mid-write): the stream is reset by Complete below.
        }
        finally
        {
            stream.Complete();
        }
    }

    private async Task WatchAsync(Http2ServerStream stream, string service)
    {
        using var left = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
        stream.OnAborted(static state => CancelQuietly((CancellationTokenSource)state!), left);
        WriteHeaders(stream);
        ServingStatus? last = null;
        while (true)
        {
            var status = StatusOf(service) ?? ServingStatus.ServiceUnknown;
            if (status != last)
            {
                await WriteResponseAsync(stream, status, left.Token).ConfigureAwait(false);
                stream.Flush();
                last = status;
            }

            try
            {
                await Task.Delay(WatchInterval, time, left.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stream.IsClosed)
            {
                StatusReply.WriteTrailers(stream, new Status(StatusCode.Unavailable, "The gateway is shutting down."));
                return;
            }
        }
    }

    /// <summary>The abort callback may come after the watch ended and disposed its source: nothing is left to stop.</summary>
    private static void CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static async Task<HealthCheckRequest> ReadRequestAsync(Http2ServerStream stream)
    {
        while (true)
        {
            var result = await stream.ReadBodyAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length > MaxRequestSize + GrpcProtocol.MessagePrefixSize)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Health check request larger than {MaxRequestSize} bytes."));
            }

            if (!result.IsCompleted)
            {
                stream.AdvanceBody(buffer.Start, buffer.End);
                continue;
            }

            try
            {
                if (!MessageFraming.TryReadMessage(ref buffer, MaxRequestSize, out var compressed, out var payload) || !buffer.IsEmpty)
                {
                    throw new RpcException(new Status(StatusCode.Internal, "A health check request must be exactly one message."));
                }

                if (compressed)
                {
                    throw new RpcException(new Status(StatusCode.Unimplemented, "The gateway's health service takes uncompressed requests only."));
                }

                return HealthCheckRequest.Parser.ParseFrom(payload);
            }
            catch (InvalidProtocolBufferException ex)
            {
                throw new RpcException(new Status(StatusCode.Internal, $"Invalid health check request: {ex.Message}"));
            }
            finally
            {
                stream.AdvanceBody(result.Buffer.End);
            }
        }
    }

    private static void WriteHeaders(Http2ServerStream stream) =>
        stream.WriteHeaders(200, 0, static (headers, _) => headers.Add("content-type", GrpcProtocol.ContentType), endStream: false);

    private static ValueTask WriteResponseAsync(Http2ServerStream stream, ServingStatus status, CancellationToken cancellationToken)
    {
        var response = new HealthCheckResponse { Status = status };
        var message = new byte[GrpcProtocol.MessagePrefixSize + response.CalculateSize()];
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(1), (uint)(message.Length - GrpcProtocol.MessagePrefixSize));
        response.WriteTo(message.AsSpan(GrpcProtocol.MessagePrefixSize));
        // A client that stops reading a Watch holds it here, at its window, rather than queueing changes without bound.
        var data = new ReadOnlySequence<byte>(message);
        return stream.TryWriteData(data, endStream: false) ? ValueTask.CompletedTask : stream.WriteDataAsync(data, endStream: false, cancellationToken);
    }

    private ServingStatus? StatusOf(string service)
    {
        if (service.Length == 0)
        {
            return ServingStatus.Serving;
        }

        if (!runtime.Current.Clusters.TryGetValue(service, out var cluster))
        {
            return null;
        }

        foreach (var endpoint in cluster.Endpoints)
        {
            if (endpoint.IsAvailable)
            {
                return ServingStatus.Serving;
            }
        }

        return ServingStatus.NotServing;
    }
}
