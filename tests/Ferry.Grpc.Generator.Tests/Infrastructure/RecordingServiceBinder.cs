namespace Ferry.Grpc.Generator.Tests.Infrastructure;

/// <summary>Keeps what a generated BindService registers: each method and its handler delegate.</summary>
internal sealed class RecordingServiceBinder<TService> : ServiceBinder<TService>
    where TService : class
{
    public Dictionary<string, (MethodType Type, Delegate Handler)> Methods { get; } = [];

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TService, TRequest, TResponse> handler) =>
        Methods.Add(method.Name, (method.Type, handler));

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TService, TRequest, TResponse> handler) =>
        Methods.Add(method.Name, (method.Type, handler));

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TService, TRequest, TResponse> handler) =>
        Methods.Add(method.Name, (method.Type, handler));

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TService, TRequest, TResponse> handler) =>
        Methods.Add(method.Name, (method.Type, handler));
}
