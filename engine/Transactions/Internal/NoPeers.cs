using FastDht.Engine.Connections;

namespace FastDht.Engine.Transactions.Internal;

/// <summary>The peer links of a coordinator whose mesh is not attached yet: every other node is unavailable.</summary>
internal sealed class NoPeers : IPeerLinks
{
    public static readonly NoPeers Instance = new();

    public FrameSession? LinkTo(ushort nodeId) => null;

    public ulong IncarnationOf(ushort nodeId) => 0;

    public bool IsUp(ushort nodeId) => false;

    public Protocol.MemberState StateOf(ushort nodeId) => Protocol.MemberState.Down;

    public string UnavailableMessage(ushort nodeId) => $"node {nodeId} is unavailable: this node's mesh is not running";
}
