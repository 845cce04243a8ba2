using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastDht.NodeHost;

/// <summary>The JSON config file's shape (schema and example in docs/running.md); every field is optional.</summary>
/// <remarks>
/// Sizes are a number of bytes or a string with a unit ("4MiB"); durations are strings with a unit ("500ms", "5s").
/// An unknown field is an error, so a typo cannot silently leave a default in place.
/// </remarks>
internal sealed class NodeConfigFile
{
    public string? Cluster { get; set; }

    public int? NodeId { get; set; }

    /// <summary>Entries "id=host:port" or "host:port" (numbered by position).</summary>
    public IReadOnlyList<string>? Members { get; set; }

    public string? Listen { get; set; }

    /// <summary>Where to serve RESP (Redis clients), "host:port"; absent means off.</summary>
    public string? Resp { get; set; }

    public JsonElement? MaxFrameSize { get; set; }

    public JsonElement? MaxKeySize { get; set; }

    public string? LockStrategy { get; set; }

    public string? LogLevel { get; set; }

    public string? HeartbeatInterval { get; set; }

    public string? PeerTimeout { get; set; }

    public string? ConnectTimeout { get; set; }

    public string? ReconnectBaseDelay { get; set; }

    public string? ReconnectMaxDelay { get; set; }

    public string? ForwardTimeout { get; set; }

    public string? DrainTimeout { get; set; }

    /// <summary>Fields the schema does not know: collected rather than refused by the parser, so the error can name them.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? UnknownFields { get; set; }

    /// <summary>The field names of the schema, for the error that lists them.</summary>
    public const string KnownFields =
        "cluster, nodeId, members, listen, maxFrameSize, maxKeySize, lockStrategy, logLevel, heartbeatInterval, "
        + "peerTimeout, connectTimeout, reconnectBaseDelay, reconnectMaxDelay, forwardTimeout, drainTimeout";
}
