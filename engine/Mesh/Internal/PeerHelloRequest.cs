using System.Buffers;
using FastDht.Engine.Connections.Requests;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>The Hello a node sends when it dials a peer: its id, cluster, lock strategy, incarnation and member-list digest.</summary>
internal readonly struct PeerHelloRequest(NodeIdentity identity) : IFrameRequest
{
    public int FrameLength => RequestLength.Of(FrameLengths.Hello(identity.ClusterName, identity.LockStrategy));

    public void Write(IBufferWriter<byte> writer, uint requestId) =>
        FrameWriter.WriteHello(
            writer, requestId, NodeRole.Node, identity.SelfId, identity.ClusterName, identity.LockStrategy,
            (uint)identity.Limits.MaxFrameSize, identity.Incarnation, identity.Cluster.Current.Members.Digest);
}
