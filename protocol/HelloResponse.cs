using System.Text;

namespace FastDht.Protocol;

/// <summary>A received Hello response (status Ok); the strings are UTF-8 slices of the body.</summary>
public readonly ref struct HelloResponse
{
    public HelloResponse(ushort protocolVersion, ushort nodeId, ReadOnlySpan<byte> clusterName, ReadOnlySpan<byte> lockStrategy, uint maxFrameSize, ulong epoch, ulong incarnation, ulong membersDigest)
    {
        ProtocolVersion = protocolVersion;
        NodeId = nodeId;
        ClusterName = clusterName;
        LockStrategy = lockStrategy;
        MaxFrameSize = maxFrameSize;
        Epoch = epoch;
        Incarnation = incarnation;
        MembersDigest = membersDigest;
    }

    public ushort ProtocolVersion { get; }

    /// <summary>The responder's member id.</summary>
    public ushort NodeId { get; }

    public ReadOnlySpan<byte> ClusterName { get; }

    public ReadOnlySpan<byte> LockStrategy { get; }

    /// <summary>The largest frame the responder accepts.</summary>
    public uint MaxFrameSize { get; }

    /// <summary>The responder's cluster state epoch; a client fetches ClusterInfo when it is newer than its cached table's.</summary>
    public ulong Epoch { get; }

    /// <summary>When the responding node process started (µs since the Unix epoch).</summary>
    public ulong Incarnation { get; }

    /// <summary>A digest of the responder's member list; a node dialing a peer refuses a link whose digest differs from its own.</summary>
    public ulong MembersDigest { get; }

    public string GetClusterName() => Encoding.UTF8.GetString(ClusterName);

    public string GetLockStrategy() => Encoding.UTF8.GetString(LockStrategy);
}
