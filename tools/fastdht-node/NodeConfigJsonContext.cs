using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastDht.NodeHost;

/// <summary>Source-generated JSON metadata for the config file: no reflection at start-up.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(NodeConfigFile))]
internal sealed partial class NodeConfigJsonContext : JsonSerializerContext
{
}
