using System.IO.Pipelines;
using System.Text;
using FastDht.Engine.Cluster;
using FastDht.Engine.Cluster.Internal;
using FastDht.Engine.Security;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// Who this node is to the other side of a handshake, and the rules a Hello must meet: the same for a client and a
/// peer where they overlap, and checked identically whichever side dialed.
/// </summary>
internal sealed class NodeIdentity
{
    private readonly byte[] _clusterNameBytes;

    public NodeIdentity(ushort selfId, string clusterName, string lockStrategy, ClusterStateHolder cluster, ProtocolLimits limits, ClusterSecret? secret = null)
    {
        Secret = secret;
        SelfId = selfId;
        ClusterName = clusterName;
        LockStrategy = lockStrategy;
        Cluster = cluster;
        Limits = limits;
        _clusterNameBytes = Encoding.UTF8.GetBytes(clusterName);
        Incarnation = (ulong)((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000) + Random.Shared.Next(1000));
    }

    public ushort SelfId { get; }

    /// <summary>What every peer link proves in its handshake; null: this node takes no peer links and dials none.</summary>
    public ClusterSecret? Secret { get; }

    public string ClusterName { get; }

    public string LockStrategy { get; }

    /// <summary>The cluster state whose members and digest a peer must match.</summary>
    public ClusterStateHolder Cluster { get; }

    /// <summary>What this node accepts; MaxFrameSize is announced in Hello.</summary>
    public ProtocolLimits Limits { get; }

    /// <summary>When this node's process started, µs since the Unix epoch (plus jitter): a restarted peer has a higher one.</summary>
    public ulong Incarnation { get; }

    /// <summary>Checks an inbound Hello; null when acceptable, else the refusal, for both the log and the other side.</summary>
    /// <remarks>
    /// Both roles: the protocol version, the cluster name, and a MaxFrameSize of at least 4 KiB (below that not even an
    /// error answer is sure to fit). A client must send the fixed client values (node id 0xFFFF, no lock strategy,
    /// incarnation and digest 0), so that those fields can be given a meaning for clients later. A node is checked
    /// by <see cref="CheckPeerIdentity"/>; a node Hello (role node) from an id that is not a member is acceptable to a
    /// member as a joining node (<paramref name="joining"/>): it may then only ask to join, once it proved the secret.
    /// </remarks>
    public string? CheckHello(in HelloRequest hello, out bool joining)
    {
        joining = false;
        if (hello.ProtocolVersion != ProtocolConstants.Version)
            return $"protocol version {hello.ProtocolVersion} is not supported (this node speaks {ProtocolConstants.Version})";
        if (!hello.ClusterName.SequenceEqual(_clusterNameBytes))
            return $"cluster name '{hello.GetClusterName()}' does not match this node's cluster '{ClusterName}'";
        if (hello.MaxFrameSize < ProtocolLimits.MinFrameSize)
            return $"maxFrameSize {hello.MaxFrameSize} is below the protocol's minimum of {ProtocolLimits.MinFrameSize} bytes";
        if (hello.Role is NodeRole.Node or NodeRole.Consensus)
            return CheckPeerIdentity(hello.NodeId, hello.MembersDigest, hello.GetLockStrategy(), peerEpoch: 0, mayJoin: hello.Role == NodeRole.Node, out joining);
        if (hello.NodeId != ProtocolConstants.ClientNodeId || !hello.LockStrategy.IsEmpty || hello.Incarnation != 0 || hello.MembersDigest != 0)
            return "a client's Hello carries node id 0xFFFF, an empty lock strategy, incarnation 0 and members digest 0";
        return null;
    }

    /// <summary>The checks a node applies to a peer's identity, in either direction of the handshake.</summary>
    /// <param name="nodeId">The peer's id.</param>
    /// <param name="membersDigest">The digest of the peer's member list.</param>
    /// <param name="lockStrategy">The peer's lock strategy.</param>
    /// <param name="peerEpoch">The peer's epoch when known (its Hello answer), else 0.</param>
    /// <param name="mayJoin">A peer that is not a member may be a node joining (this node is a member): then <paramref name="joining"/>.</param>
    /// <param name="joining">The peer is not a member and may only ask to join.</param>
    /// <remarks>
    /// Member lists change at run time (nodes join and leave), so two members at different epochs have different
    /// digests until the newer state reaches the other; the link must form for it to get there (the newer side pushes
    /// its state on every new link). A differing digest is refused only while both sides are at the initial epoch: then
    /// the two were started with different lists, a configuration mistake. A node that is not a member of its own state
    /// (joining) accepts any digest: it knows only its seeds.
    /// </remarks>
    public string? CheckPeerIdentity(ushort nodeId, ulong membersDigest, string lockStrategy, ulong peerEpoch, bool mayJoin, out bool joining)
    {
        joining = false;
        if (nodeId == SelfId)
            return $"node id {nodeId} is this node's own id: two nodes were started with the same id";
        var state = Cluster.Current;
        var selfIsMember = state.Members.TryGet(SelfId, out _);
        if (!state.Members.TryGet(nodeId, out _))
        {
            if (!mayJoin || !selfIsMember)
                return $"node id {nodeId} is not in this node's member list ({state.Members}, epoch {state.Epoch})";
            joining = true;
        }
        else if (membersDigest != state.Members.Digest && selfIsMember && state.Epoch == ClusterState.InitialEpoch && peerEpoch <= ClusterState.InitialEpoch)
        {
            return $"the member lists differ (digest {membersDigest:x16} vs this node's {state.Members.Digest:x16} at epoch {state.Epoch}): every node must be given the same member list";
        }
        if (!string.Equals(lockStrategy, LockStrategy, StringComparison.Ordinal))
            return $"lock strategy '{lockStrategy}' differs from this node's '{LockStrategy}': every node of a cluster must use the same one";
        return null;
    }

    /// <summary>Checks the answer to this node's own Hello when it dialed <paramref name="expectedId"/>; null when acceptable.</summary>
    public string? CheckHelloResponse(in HelloResponse hello, ushort expectedId, string expectedAddress)
    {
        if (hello.ProtocolVersion != ProtocolConstants.Version)
            return $"the peer speaks protocol version {hello.ProtocolVersion}, this node {ProtocolConstants.Version}";
        if (hello.GetClusterName() != ClusterName)
            return $"the peer is in cluster '{hello.GetClusterName()}', this node in '{ClusterName}'";
        if (hello.NodeId != expectedId)
            return $"the peer at {expectedAddress} says it is node {hello.NodeId}, but the member list says node {expectedId}";
        return CheckPeerIdentity(hello.NodeId, hello.MembersDigest, hello.GetLockStrategy(), hello.Epoch, mayJoin: false, out _);
    }

    /// <summary>Writes the Ok answer to an accepted Hello: this node's identity and the epoch and member digest of the current state.</summary>
    public void WriteHelloResponse(PipeWriter writer, uint requestId)
    {
        var state = Cluster.Current;
        FrameWriter.WriteHelloResponse(
            writer, requestId, SelfId, ClusterName, LockStrategy, (uint)Limits.MaxFrameSize, state.Epoch, Incarnation, state.Members.Digest);
    }
}
