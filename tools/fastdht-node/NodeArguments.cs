namespace FastDht.NodeHost;

/// <summary>The command line's values as typed, before they are merged with the config file and parsed.</summary>
internal sealed class NodeArguments
{
    public string? ConfigPath { get; init; }

    public string? NodeId { get; init; }

    public string? Members { get; init; }

    public IReadOnlyList<string> PositionalMembers { get; init; } = [];

    public string? Cluster { get; init; }

    public string? Listen { get; init; }

    public string? Resp { get; init; }

    public string? MaxFrameSize { get; init; }

    public string? MaxKeySize { get; init; }

    public string? LockStrategy { get; init; }

    public string? LogLevel { get; init; }

    public string? HeartbeatInterval { get; init; }

    public string? PeerTimeout { get; init; }

    public string? ConnectTimeout { get; init; }

    public string? ReconnectBaseDelay { get; init; }

    public string? ReconnectMaxDelay { get; init; }

    public string? ForwardTimeout { get; init; }

    public string? DrainTimeout { get; init; }
}
