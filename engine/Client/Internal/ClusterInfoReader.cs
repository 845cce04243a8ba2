using FastDht.Protocol;

namespace FastDht.Engine.Client.Internal;

/// <summary>Decodes a ClusterInfo response body into the public <see cref="ClusterView"/>.</summary>
internal static class ClusterInfoReader
{
    /// <exception cref="DhtException">The body is malformed.</exception>
    public static ClusterView Read(ReadOnlySpan<byte> body, ushort reportedBy)
    {
        if (!ResponseDecoder.TryReadClusterInfo(body, out var epoch, out var members, out var ranges, out var error))
            throw new DhtException($"node {reportedBy} sent a malformed ClusterInfo response: {error}");
        var memberViews = new List<ClusterNodeView>(members.Count);
        foreach (var m in members)
            memberViews.Add(new ClusterNodeView(m.NodeId, m.GetAddress(), m.State));
        var rangeList = new SlotRange[ranges.Count];
        for (var i = 0; i < rangeList.Length; i++)
            rangeList[i] = ranges[i];
        return new ClusterView(epoch, memberViews, rangeList, reportedBy);
    }
}
