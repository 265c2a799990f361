namespace Ferry.Grpc;

/// <summary>
/// Receives the methods of a service from its generated <c>BindService</c>. Handlers take the service instance as
/// their first argument so the host decides how instances are made (per call from DI, or one shared instance).
/// </summary>
public abstract class ServiceBinder<TService>
    where TService : class
{
    public abstract void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TService, TRequest, TResponse> handler)
        where TRequest : class
        where TResponse : class;

    public abstract void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TService, TRequest, TResponse> handler)
        where TRequest : class
        where TResponse : class;

    public abstract void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TService, TRequest, TResponse> handler)
        where TRequest : class
        where TResponse : class;

    public abstract void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TService, TRequest, TResponse> handler)
        where TRequest : class
        where TResponse : class;
}

/// <summary>
/// Implemented by every generated service base class. Hosts bind a service through a type parameter constrained to
/// this interface, so binding needs no reflection and works trimmed and compiled ahead of time.
/// </summary>
public interface IBindableService
{
    /// <summary>
    /// Reports each method of the service to <paramref name="binder"/>, with handlers that call
    /// <typeparamref name="TService"/>'s overrides (<typeparamref name="TService"/> derives from the base class).
    /// </summary>
    static abstract void BindService<TService>(ServiceBinder<TService> binder)
        where TService : class;
}
