using System.IO.Pipelines;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Sessions.Internal;

/// <summary>The Ok answer to a client's password or a peer's proof: an empty body.</summary>
internal readonly struct AuthOkReply(uint requestId) : IReply
{
    public void Write(PipeWriter writer) => FrameWriter.WriteStatusResponse(writer, requestId, Opcode.Auth, StatusCode.Ok);
}
