using System.Text;

namespace FastDht.Protocol;

/// <summary>A received Hello request; the strings are UTF-8 slices of the body.</summary>
public readonly ref struct HelloRequest
{
    public HelloRequest(ushort protocolVersion, NodeRole role, ushort nodeId, ReadOnlySpan<byte> clusterName, ReadOnlySpan<byte> lockStrategy, uint maxFrameSize)
    {
        ProtocolVersion = protocolVersion;
        Role = role;
        NodeId = nodeId;
        ClusterName = clusterName;
        LockStrategy = lockStrategy;
        MaxFrameSize = maxFrameSize;
    }

    public ushort ProtocolVersion { get; }

    public NodeRole Role { get; }

    /// <summary>The sender's member id; 0xFFFF for a client.</summary>
    public ushort NodeId { get; }

    public ReadOnlySpan<byte> ClusterName { get; }

    /// <summary>The sender's lock strategy name; empty for clients.</summary>
    public ReadOnlySpan<byte> LockStrategy { get; }

    /// <summary>The largest frame the sender accepts; the receiver must not send it a larger one.</summary>
    public uint MaxFrameSize { get; }

    public string GetClusterName() => Encoding.UTF8.GetString(ClusterName);

    public string GetLockStrategy() => Encoding.UTF8.GetString(LockStrategy);
}
