using System.Buffers;
using System.IO.Pipelines;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>RespExecute's answer: the RESP reply bytes the owner built, or FrameTooLarge when they would not fit the link's frames.</summary>
/// <remarks>
/// A reply is usually bounded by one value (itself bounded by the frame size), but KEYS over a large key space is not:
/// answering it with a frame the origin must refuse would reset the link and fail every bystander's request on it.
/// </remarks>
internal readonly struct RespExecuteReply(uint requestId, ArrayBufferWriter<byte> reply, int frameLimit) : IReply
{
    public void Write(PipeWriter writer)
    {
        if ((long)ProtocolConstants.HeaderSize - 4 + reply.WrittenCount > frameLimit)
        {
            FrameWriter.WriteErrorResponse(writer, requestId, Opcode.RespExecute, StatusCode.FrameTooLarge,
                $"the reply ({reply.WrittenCount} bytes) is larger than the link's frame limit ({frameLimit} bytes)");
            return;
        }
        FrameWriter.WriteFrame(writer, requestId, Opcode.RespExecute, FrameFlags.Response, StatusCode.Ok, reply.WrittenSpan);
    }
}
