using System.IO.Pipelines;
using FastDht.Protocol;

namespace FastDht.Engine.Connections;

/// <summary>WrongNode: the message, then the answering node's epoch and the key's owner in it (protocol.md section 4), so the sender can catch up.</summary>
internal readonly struct WrongNodeReply(uint requestId, Opcode opcode, string message, ulong epoch, ushort owner) : IReply
{
    public void Write(PipeWriter writer) => FrameWriter.WriteWrongNodeResponse(writer, requestId, opcode, message, epoch, owner);
}
