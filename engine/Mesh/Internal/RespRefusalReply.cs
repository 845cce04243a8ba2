using System.Buffers;
using System.IO.Pipelines;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>
/// RespExecute refused for a slot move (Moving during the handover, WrongNode after it): nothing ran, and the answer
/// carries the refused request back (protocol.md section 5.12) so the forwarding node sends it again after the handover
/// without having kept a copy of every command it forwards (RespSession.Reroute.cs).
/// </summary>
/// <remarks>
/// Written while the link's read loop still holds the request's frame (it awaits the reply before it advances), so the
/// request's bytes are copied straight from the receive buffer into the answer. An answer that would not fit the link's
/// frames (a request within a few dozen bytes of the limit) leaves the request out: the sender then answers its client
/// TRYAGAIN, as it did for every refusal before.
/// </remarks>
internal readonly struct RespRefusalReply(uint requestId, StatusCode status, string message, ulong epoch, ushort owner, ReadOnlySequence<byte> request, int frameLimit) : IReply
{
    public void Write(PipeWriter writer)
    {
        if (FrameWriter.RefusalReturningRequestLength(status, message, request.Length) <= frameLimit)
            FrameWriter.WriteRefusalReturningRequest(writer, requestId, Opcode.RespExecute, status, message, epoch, owner, request);
        else if (status == StatusCode.WrongNode)
            FrameWriter.WriteWrongNodeResponse(writer, requestId, Opcode.RespExecute, message, epoch, owner);
        else
            FrameWriter.WriteErrorResponse(writer, requestId, Opcode.RespExecute, status, message);
    }
}
