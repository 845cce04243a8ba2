using System.IO.Pipelines;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>A single-key request run on the local keys as its reply is written, so the answer goes out in execution order.</summary>
internal readonly struct LocalKeyReply(FrameSession session, LocalKeyRequests keys, Frame frame, ProtocolLimits limits) : IReply
{
    public void Write(PipeWriter writer) => keys.Execute(writer, frame.Header, session.BodyOf(frame), limits);
}
