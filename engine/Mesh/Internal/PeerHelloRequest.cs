using System.Buffers;
using System.Text;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>The Hello a node sends when it dials a peer: its id, cluster, lock strategy, incarnation and member-list digest.</summary>
internal readonly struct PeerHelloRequest(NodeIdentity identity) : IFrameRequest
{
    public int FrameLength =>
        ProtocolConstants.HeaderSize + 2 + 1 + 2
        + 2 + Encoding.UTF8.GetByteCount(identity.ClusterName)
        + 2 + Encoding.UTF8.GetByteCount(identity.LockStrategy)
        + 4 + 8 + 8;

    public void Write(IBufferWriter<byte> writer, uint requestId) =>
        FrameWriter.WriteHello(
            writer, requestId, NodeRole.Node, identity.SelfId, identity.ClusterName, identity.LockStrategy,
            (uint)identity.Limits.MaxFrameSize, identity.Incarnation, identity.Cluster.Current.Members.Digest);
}
