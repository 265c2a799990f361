namespace Ferry.Grpc.AspNetCore.Server;

internal sealed class UnaryServerCallHandler<TService, TRequest, TResponse>(
    Method<TRequest, TResponse> method,
    UnaryServerMethod<TService, TRequest, TResponse> invoker,
    ServerCallServices<TService> services)
    : ServerCallHandler<TService, TRequest, TResponse>(method, services)
    where TService : class
    where TRequest : class
    where TResponse : class
{
    protected override async Task HandleCoreAsync(TService service, HttpContextServerCallContext call)
    {
        var request = await ReadSingleRequestAsync(call).ConfigureAwait(false);
        var response = NotNull(await invoker(service, request, call).ConfigureAwait(false));

        // Not flushed: headers, message and trailers then leave together when the call ends.
        await call.WriteMessageAsync(response, Method.ResponseMarshaller, flush: false, call.CancellationToken).ConfigureAwait(false);
    }
}

internal sealed class ClientStreamingServerCallHandler<TService, TRequest, TResponse>(
    Method<TRequest, TResponse> method,
    ClientStreamingServerMethod<TService, TRequest, TResponse> invoker,
    ServerCallServices<TService> services)
    : ServerCallHandler<TService, TRequest, TResponse>(method, services)
    where TService : class
    where TRequest : class
    where TResponse : class
{
    protected override async Task HandleCoreAsync(TService service, HttpContextServerCallContext call)
    {
        var reader = new HttpContextStreamReader<TRequest>(call, Method.RequestMarshaller);
        var response = NotNull(await invoker(service, reader, call).ConfigureAwait(false));
        await call.WriteMessageAsync(response, Method.ResponseMarshaller, flush: false, call.CancellationToken).ConfigureAwait(false);
    }
}

internal sealed class ServerStreamingServerCallHandler<TService, TRequest, TResponse>(
    Method<TRequest, TResponse> method,
    ServerStreamingServerMethod<TService, TRequest, TResponse> invoker,
    ServerCallServices<TService> services)
    : ServerCallHandler<TService, TRequest, TResponse>(method, services)
    where TService : class
    where TRequest : class
    where TResponse : class
{
    protected override async Task HandleCoreAsync(TService service, HttpContextServerCallContext call)
    {
        var request = await ReadSingleRequestAsync(call).ConfigureAwait(false);
        await invoker(service, request, new HttpContextStreamWriter<TResponse>(call, Method.ResponseMarshaller), call).ConfigureAwait(false);
    }
}

internal sealed class DuplexStreamingServerCallHandler<TService, TRequest, TResponse>(
    Method<TRequest, TResponse> method,
    DuplexStreamingServerMethod<TService, TRequest, TResponse> invoker,
    ServerCallServices<TService> services)
    : ServerCallHandler<TService, TRequest, TResponse>(method, services)
    where TService : class
    where TRequest : class
    where TResponse : class
{
    protected override Task HandleCoreAsync(TService service, HttpContextServerCallContext call) =>
        invoker(
            service,
            new HttpContextStreamReader<TRequest>(call, Method.RequestMarshaller),
            new HttpContextStreamWriter<TResponse>(call, Method.ResponseMarshaller),
            call);
}
