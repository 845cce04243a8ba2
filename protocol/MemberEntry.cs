using System.Text;

namespace FastDht.Protocol;

/// <summary>One member of a received ClusterInfo response, as slices of the body.</summary>
public readonly ref struct MemberEntry
{
    public MemberEntry(ushort nodeId, ReadOnlySpan<byte> addressUtf8, MemberState state)
    {
        NodeId = nodeId;
        AddressUtf8 = addressUtf8;
        State = state;
    }

    public ushort NodeId { get; }

    /// <summary>"host:port" as UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> AddressUtf8 { get; }

    public MemberState State { get; }

    /// <summary>The address as a string (allocates; for the rare cluster-info path).</summary>
    public string GetAddress() => Encoding.UTF8.GetString(AddressUtf8);
}
