using System.Buffers;
using System.IO.Pipelines;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>RespExecute's answer: the RESP reply bytes the owner built.</summary>
internal readonly struct RespExecuteReply(uint requestId, ArrayBufferWriter<byte> reply) : IReply
{
    public void Write(PipeWriter writer) =>
        FrameWriter.WriteFrame(writer, requestId, Opcode.RespExecute, FrameFlags.Response, StatusCode.Ok, reply.WrittenSpan);
}
