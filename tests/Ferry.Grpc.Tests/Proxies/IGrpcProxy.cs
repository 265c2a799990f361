namespace Ferry.Grpc.Tests.Proxies;

/// <summary>An L7 proxy in front of one gRPC upstream, running for a test.</summary>
internal interface IGrpcProxy : IAsyncDisposable
{
    int Port { get; }

    /// <summary>http(s)://127.0.0.1:port, as a channel addresses it.</summary>
    Uri Address { get; }

    /// <summary>The configuration and the proxy's output, for an assertion message.</summary>
    string Describe();
}
