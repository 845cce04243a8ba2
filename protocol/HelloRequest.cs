using System.Text;

namespace FastDht.Protocol;

/// <summary>A received Hello request; the strings are UTF-8 slices of the body.</summary>
public readonly ref struct HelloRequest
{
    public HelloRequest(ushort protocolVersion, NodeRole role, ushort nodeId, ReadOnlySpan<byte> clusterName, ReadOnlySpan<byte> lockStrategy, uint maxFrameSize, ulong incarnation, ulong membersDigest)
    {
        ProtocolVersion = protocolVersion;
        Role = role;
        NodeId = nodeId;
        ClusterName = clusterName;
        LockStrategy = lockStrategy;
        MaxFrameSize = maxFrameSize;
        Incarnation = incarnation;
        MembersDigest = membersDigest;
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

    /// <summary>When the sending node process started (µs since the Unix epoch); 0 for a client. A higher value from the same node id means the peer restarted.</summary>
    public ulong Incarnation { get; }

    /// <summary>A digest of the sender's member list (ids and addresses); 0 for a client. Nodes of one cluster must agree.</summary>
    public ulong MembersDigest { get; }

    public string GetClusterName() => Encoding.UTF8.GetString(ClusterName);

    public string GetLockStrategy() => Encoding.UTF8.GetString(LockStrategy);
}
