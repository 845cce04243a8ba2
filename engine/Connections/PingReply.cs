using System.IO.Pipelines;
using FastDht.Protocol;

namespace FastDht.Engine.Connections;

/// <summary>Ping's answer: the request's payload echoed.</summary>
/// <remarks>The payload is a slice of the receive pipe: valid while the read loop has not advanced past the frame, which it does not while a reply it awaits is pending.</remarks>
internal readonly struct PingReply(uint requestId, System.Buffers.ReadOnlySequence<byte> payload) : IReply
{
    public void Write(PipeWriter writer) => FrameWriter.WritePingResponse(writer, requestId, payload);
}
