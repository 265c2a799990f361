using System.Collections.Immutable;

namespace Ferry.Grpc.Generator.Emission;

/// <summary>A service with every type resolved to C#: all the emitter needs.</summary>
/// <param name="Namespace">The C# namespace, empty for the global namespace.</param>
/// <param name="FileName">The .proto file's name, for the generated header.</param>
/// <param name="FullName">The proto name, <c>package.Service</c>: the first part of every method path.</param>
/// <param name="Name">The service's name as declared, used for the generated class.</param>
internal sealed record ServiceModel(
    string Namespace,
    string FileName,
    string FullName,
    string Name,
    string? Comment,
    ImmutableArray<MethodModel> Methods);

/// <summary>An rpc. The request and response types are <c>global::</c>-qualified message classes.</summary>
internal sealed record MethodModel(string Name, MethodType Kind, string RequestType, string ResponseType, string? Comment);

/// <summary>Mirrors Ferry.Grpc.MethodType, whose member names are emitted as they are.</summary>
internal enum MethodType
{
    Unary,
    ClientStreaming,
    ServerStreaming,
    DuplexStreaming,
}
