namespace Ferry.Grpc.Generator.Tests.Infrastructure;

/// <summary>A .proto file as a Protobuf item: its path (relative ones are under <see cref="GeneratorHarness.ProjectDirectory"/>) and item metadata.</summary>
internal sealed record ProtoInput(string Path, string Text, string? ProtoRoot = null, string? FerryServices = null, string? ProtoCompile = null, bool FerryProto = true);
