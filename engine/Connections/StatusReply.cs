using System.IO.Pipelines;
using FastDht.Protocol;

namespace FastDht.Engine.Connections;

/// <summary>A response that is only a status (no body): an acknowledgement.</summary>
internal readonly struct StatusReply(uint requestId, Opcode opcode, StatusCode status) : IReply
{
    public void Write(PipeWriter writer) => FrameWriter.WriteStatusResponse(writer, requestId, opcode, status);
}
