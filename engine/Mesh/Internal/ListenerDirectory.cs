using System.Collections.Concurrent;
using FastDht.Engine.Connections;
using FastDht.Engine.Connections.Requests;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// Where every member serves each protocol: this node's own listeners, and each peer's as it reported them in
/// NodeInfo when its link came up.
/// </summary>
/// <remarks>
/// Why ask rather than configure: protocol ports are per-node settings (and port 0 in tests), so only the node
/// itself knows them. A peer is asked on every link-up, so a restarted peer on new ports is learned again. Entries
/// are replaced whole (a reference swap), so readers never see half of an update. Keyed by node id rather than sized
/// from the member list, because members come and go with the cluster state; readers walk the current members, so
/// the entry of a member that left is never shown.
/// </remarks>
internal sealed class ListenerDirectory : Cluster.IListenerAddresses
{
    private readonly PeerMesh _mesh;
    private readonly ConcurrentDictionary<ushort, ListenerInfo[]> _byNode = new();

    public ListenerDirectory(PeerMesh mesh)
    {
        _mesh = mesh;
    }

    /// <summary>This node's own listeners, answered to NodeInfo.</summary>
    public ListenerInfo[] Own { get; private set; } = [];

    public void SetOwn(ListenerInfo[] listeners)
    {
        Own = listeners;
        _byNode[_mesh.Identity.SelfId] = listeners;
    }

    /// <summary>"host:port" where a node serves a protocol, or null when unknown.</summary>
    public string? AddressOf(ushort nodeId, string protocol)
    {
        if (!_byNode.TryGetValue(nodeId, out var list))
            return null;
        foreach (var l in list)
        {
            if (string.Equals(l.Protocol, protocol, StringComparison.OrdinalIgnoreCase))
                return l.Address;
        }
        return null;
    }

    /// <summary>Asks a peer whose link just came up for its listeners.</summary>
    public async Task FetchAsync(PeerLink link)
    {
        var result = await link.CallAsync(new NodeInfoRequest(), ResponseShape.Body, _mesh.Settings.ForwardTimeout, link.PeerId).ConfigureAwait(false);
        if (result.Status == StatusCode.Ok && result.Payload is { } body && ResponseDecoder.TryReadNodeInfo(body, out var listeners, out _))
            _byNode[link.PeerId] = listeners;
    }
}
