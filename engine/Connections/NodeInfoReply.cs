using System.IO.Pipelines;
using FastDht.Protocol;

namespace FastDht.Engine.Connections;

/// <summary>NodeInfo's answer: where this node serves each protocol.</summary>
internal readonly struct NodeInfoReply(uint requestId, ListenerInfo[] listeners) : IReply
{
    public void Write(PipeWriter writer) => FrameWriter.WriteNodeInfoResponse(writer, requestId, listeners);
}
