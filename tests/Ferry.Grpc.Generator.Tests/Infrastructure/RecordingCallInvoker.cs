namespace Ferry.Grpc.Generator.Tests.Infrastructure;

/// <summary>Records the calls a generated client starts and answers unary ones with a fixed response.</summary>
internal sealed class RecordingCallInvoker(object response) : CallInvoker
{
    public List<(object Method, CallOptions Options, object? Request)> Calls { get; } = [];

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options, TRequest request)
    {
        Calls.Add((method, options, request));
        return new AsyncUnaryCall<TResponse>(Task.FromResult((TResponse)response), new CompletedCallState());
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options, TRequest request)
    {
        Calls.Add((method, options, request));
        return new AsyncServerStreamingCall<TResponse>(new EmptyStream<TResponse>(), new CompletedCallState());
    }

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options)
    {
        Calls.Add((method, options, null));
        return new AsyncClientStreamingCall<TRequest, TResponse>(new EmptyStream<TRequest>(), Task.FromResult((TResponse)response), new CompletedCallState());
    }

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions options)
    {
        Calls.Add((method, options, null));
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(new EmptyStream<TRequest>(), new EmptyStream<TResponse>(), new CompletedCallState());
    }

    private sealed class CompletedCallState : ICallState
    {
        public Task<Metadata> ResponseHeadersAsync => Task.FromResult(Metadata.Empty);

        public Status GetStatus() => Status.DefaultSuccess;

        public Metadata GetTrailers() => Metadata.Empty;

        public void Dispose()
        {
        }
    }
}
