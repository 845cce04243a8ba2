using System.IO.Pipelines;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>An Ok response whose body was built beforehand (a ClusterPropose answer).</summary>
internal readonly struct BodyReply(uint requestId, Opcode opcode, byte[] body) : IReply
{
    public void Write(PipeWriter writer) => FrameWriter.WriteFrame(writer, requestId, opcode, FrameFlags.Response, StatusCode.Ok, body);
}
