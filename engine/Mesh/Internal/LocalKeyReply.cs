using System.IO.Pipelines;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>A single-key request run on the local keys as its reply is written, so the answer goes out in execution order; the session learns the status it answered.</summary>
internal readonly struct LocalKeyReply(FrameSession session, LocalKeyRequests keys, Frame frame, ProtocolLimits limits) : IReply
{
    public void Write(PipeWriter writer) => session.OnAnswered(frame.Header.Opcode, keys.Execute(writer, frame.Header, session.BodyOf(frame), limits));
}
