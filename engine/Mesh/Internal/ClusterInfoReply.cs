using System.IO.Pipelines;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>ClusterInfo's answer: members with their state as the responder sees it, and the slot table.</summary>
internal readonly struct ClusterInfoReply(uint requestId, ulong slotTableVersion, MemberInfo[] members, SlotRange[] ranges) : IReply
{
    public void Write(PipeWriter writer) => FrameWriter.WriteClusterInfoResponse(writer, requestId, slotTableVersion, members, ranges);
}
