using System.Collections.Generic;
using System.Linq;

namespace Ferry.Grpc.Generator.Resolution;

/// <summary>
/// The well-known types Grpc.Tools compiles against without the project listing them, reduced to their type
/// declarations. Their C# classes ship in Google.Protobuf under Google.Protobuf.WellKnownTypes.
/// descriptor.proto is left out: an import of it is unresolved, which only widens visibility (see
/// <see cref="VisibleFiles"/>), and its types are not used as rpc messages.
/// </summary>
internal static class WellKnownProtos
{
    private const string Header = "syntax = \"proto3\"; package google.protobuf; option csharp_namespace = \"Google.Protobuf.WellKnownTypes\";\n";

    private static readonly Dictionary<string, ParsedProto> ByPath = new Dictionary<string, string>
    {
        ["google/protobuf/any.proto"] = "message Any {}",
        ["google/protobuf/api.proto"] = "message Api {} message Method {} message Mixin {}",
        ["google/protobuf/duration.proto"] = "message Duration {}",
        ["google/protobuf/empty.proto"] = "message Empty {}",
        ["google/protobuf/field_mask.proto"] = "message FieldMask {}",
        ["google/protobuf/source_context.proto"] = "message SourceContext {}",
        ["google/protobuf/struct.proto"] = "message Struct {} message Value {} message ListValue {} enum NullValue { NULL_VALUE = 0; }",
        ["google/protobuf/timestamp.proto"] = "message Timestamp {}",
        ["google/protobuf/type.proto"] =
            "message Type {} message Field { enum Kind { TYPE_UNKNOWN = 0; } enum Cardinality { CARDINALITY_UNKNOWN = 0; } }" +
            " message Enum {} message EnumValue {} message Option {} enum Syntax { SYNTAX_PROTO2 = 0; }",
        ["google/protobuf/wrappers.proto"] =
            "message DoubleValue {} message FloatValue {} message Int64Value {} message UInt64Value {} message Int32Value {}" +
            " message UInt32Value {} message BoolValue {} message StringValue {} message BytesValue {}",
    }.ToDictionary(
        entry => entry.Key,
        entry => ParsedProto.Parse(new ProtoSource(entry.Key, Header + entry.Value, "", EmitServices: false)),
        ProtoPath.Comparer);

    public static IEnumerable<ParsedProto> All => ByPath.Values;

    public static ParsedProto? Find(string importPath) => ByPath.TryGetValue(importPath, out var file) ? file : null;
}
