using System.Text.Json.Serialization;
using Ferry.Gateway.Config;

namespace Ferry.Gateway.Runtime;

/// <summary>
/// Serializes a cluster's settings to compare them across reloads: an unchanged cluster keeps its connections and
/// health state. Source-generated, so it works trimmed and compiled ahead of time.
/// </summary>
[JsonSerializable(typeof(ClusterConfig))]
internal sealed partial class ClusterFingerprintContext : JsonSerializerContext;
