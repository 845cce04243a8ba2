using System.Buffers;
using System.IO.Pipelines;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Sessions.Internal;

/// <summary>An owner's answer copied out of the link's receive pipe into a pooled buffer, to be relayed when the client's writer lock is free.</summary>
internal readonly struct CopiedReply(uint originRequestId, FrameHeader header, byte[] body, int length) : IReply
{
    public void Write(PipeWriter writer) =>
        FrameWriter.WriteFrame(writer, originRequestId, header.Opcode, header.Flags, header.Status, body.AsSpan(0, length));

    /// <summary>Gives the buffer back to the pool, once the reply is written or dropped.</summary>
    public void Return() => ArrayPool<byte>.Shared.Return(body);
}
