namespace FastDht.Protocol;

/// <summary>A cluster member as written into a ClusterInfo response.</summary>
public readonly struct MemberInfo
{
    public MemberInfo(ushort nodeId, string address, MemberState state)
    {
        NodeId = nodeId;
        Address = address;
        State = state;
    }

    public ushort NodeId { get; }

    /// <summary>"host:port" where the member accepts connections.</summary>
    public string Address { get; }

    public MemberState State { get; }
}
