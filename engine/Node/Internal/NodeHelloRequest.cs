using System.Buffers;
using System.Text;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Node.Internal;

/// <summary>The Hello a node sends when it dials a peer: its id, cluster, lock strategy, incarnation and member-list digest.</summary>
internal readonly struct NodeHelloRequest(NodeCore core, uint maxFrameSize) : IFrameRequest
{
    public int FrameLength =>
        ProtocolConstants.HeaderSize + 2 + 1 + 2
        + 2 + Encoding.UTF8.GetByteCount(core.Options.ClusterName)
        + 2 + Encoding.UTF8.GetByteCount(core.Options.LockStrategy)
        + 4 + 8 + 8;

    public void Write(IBufferWriter<byte> writer, uint requestId) =>
        FrameWriter.WriteHello(
            writer, requestId, NodeRole.Node, core.SelfId, core.Options.ClusterName, core.Options.LockStrategy,
            maxFrameSize, core.Incarnation, core.Cluster.Current.Members.Digest);
}
