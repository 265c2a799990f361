using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;

namespace Ferry.Grpc.AspNetCore.Server;

/// <summary>
/// Serves one method. The common path: check the request is gRPC, lift HTTP limits that do not fit streaming, read
/// the call's headers, run the handler, and turn its result or exception into exactly one status.
/// </summary>
internal abstract class ServerCallHandler<TService, TRequest, TResponse>(Method<TRequest, TResponse> method, ServerCallServices<TService> services)
    where TService : class
    where TRequest : class
    where TResponse : class
{
    private readonly ServerCallServices<TService> _services = services;

    protected Method<TRequest, TResponse> Method { get; } = method;

    public async Task HandleCallAsync(HttpContext context)
    {
        if (await RefuseIfNotGrpcAsync(context).ConfigureAwait(false))
        {
            return;
        }

        LiftStreamingLimits(context);
        using var call = new HttpContextServerCallContext(context, Method.FullName, _services.Settings, _services.Logger);
        if (call.Initialize(_services.Time) is { } refused)
        {
            GrpcServerLog.RequestRefused(_services.Logger, context.Request.Path, refused.Detail);
            await call.EndCallAsync(refused).ConfigureAwait(false);
            return;
        }

        var (service, owned) = _services.Activator.Create(context);
        try
        {
            await HandleCoreAsync(service, call).ConfigureAwait(false);
            await call.EndCallAsync(call.Status).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await EndWithErrorAsync(call, ex).ConfigureAwait(false);
        }
        finally
        {
            await ServiceActivator<TService>.ReleaseAsync(service, owned).ConfigureAwait(false);
            await call.DeadlineCompletion.ConfigureAwait(false);
        }
    }

    protected abstract Task HandleCoreAsync(TService service, HttpContextServerCallContext call);

    /// <summary>Reads the one request message of a unary or server-streaming call, and checks nothing follows it.</summary>
    protected async Task<TRequest> ReadSingleRequestAsync(HttpContextServerCallContext call)
    {
        var (hasMessage, request) = await call.ReadMessageAsync(Method.RequestMarshaller, call.CancellationToken).ConfigureAwait(false);
        if (!hasMessage)
        {
            throw new RpcException(new Status(StatusCode.Internal, "The request ended without a message, but this method takes exactly one."));
        }

        var (extra, _) = await call.ReadMessageAsync(Method.RequestMarshaller, call.CancellationToken).ConfigureAwait(false);
        if (extra)
        {
            throw new RpcException(new Status(StatusCode.Internal, "The request carried more than one message, but this method takes exactly one."));
        }

        return request;
    }

    protected static TResponse NotNull(TResponse? response) =>
        response ?? throw new RpcException(new Status(StatusCode.Internal, "The service method returned no response message (null)."));

    private async Task EndWithErrorAsync(HttpContextServerCallContext call, Exception exception)
    {
        Status status;
        if (call.DeadlineReached)
        {
            status = new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
        }
        else if (exception is RpcException rpc)
        {
            status = rpc.Status;
            foreach (var entry in rpc.Trailers)
            {
                call.ResponseTrailers.Add(entry);
            }
        }
        else if (call.ClientGone)
        {
            GrpcServerLog.CallCancelled(_services.Logger, Method.FullName);
            return;
        }
        else
        {
            GrpcServerLog.HandlerFailed(_services.Logger, Method.FullName, exception);
            var detail = _services.Settings.Options.EnableDetailedErrors
                ? $"Exception was thrown by handler. {exception.GetType().Name}: {exception.Message}"
                : "Exception was thrown by handler.";
            status = new Status(StatusCode.Unknown, detail);
        }

        await call.EndCallAsync(status).ConfigureAwait(false);
    }

    /// <summary>
    /// Refuses what is not a gRPC call as the specification asks: HTTP/1.x with 426, a wrong content type with 415.
    /// </summary>
    private async Task<bool> RefuseIfNotGrpcAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpProtocol.IsHttp2(request.Protocol) && !HttpProtocol.IsHttp3(request.Protocol))
        {
            var detail = $"Request protocol '{request.Protocol}' is not supported: gRPC needs HTTP/2.";
            GrpcServerLog.RequestRefused(_services.Logger, request.Path, detail);
            context.Response.Headers.Connection = "Upgrade";
            context.Response.Headers.Upgrade = "h2c";
            await GrpcResponse.WriteTrailersOnlyAsync(context.Response, new Status(StatusCode.Internal, detail), null, StatusCodes.Status426UpgradeRequired).ConfigureAwait(false);
            return true;
        }

        if (!Protocol.GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            var detail = $"Content-Type '{request.ContentType}' is not supported: gRPC requests use application/grpc.";
            GrpcServerLog.RequestRefused(_services.Logger, request.Path, detail);
            await GrpcResponse.WriteTrailersOnlyAsync(context.Response, new Status(StatusCode.Internal, detail), null, StatusCodes.Status415UnsupportedMediaType).ConfigureAwait(false);
            return true;
        }

        return false;
    }

    /// <summary>
    /// Kestrel's body size cap and minimum data rates suit uploads, not streams that may idle for hours; the gRPC
    /// message size limit and deadlines govern instead.
    /// </summary>
    private static void LiftStreamingLimits(HttpContext context)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } maxBody)
        {
            maxBody.MaxRequestBodySize = null;
        }

        if (context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } minRequestRate)
        {
            minRequestRate.MinDataRate = null;
        }

        if (context.Features.Get<IHttpMinResponseDataRateFeature>() is { } minResponseRate)
        {
            minResponseRate.MinDataRate = null;
        }
    }
}

/// <summary>What every method handler of one service shares: how instances are made, the settings, clock and log.</summary>
internal sealed record ServerCallServices<TService>(ServiceActivator<TService> Activator, ServerCallSettings Settings, TimeProvider Time, ILogger Logger)
    where TService : class;
