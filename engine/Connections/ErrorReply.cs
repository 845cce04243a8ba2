using System.IO.Pipelines;
using FastDht.Protocol;

namespace FastDht.Engine.Connections;

/// <summary>An error response: status and a one-line message.</summary>
internal readonly struct ErrorReply(uint requestId, Opcode opcode, StatusCode status, string message) : IReply
{
    /// <summary>The status answered.</summary>
    public StatusCode Status => status;

    public void Write(PipeWriter writer) => FrameWriter.WriteErrorResponse(writer, requestId, opcode, status, message);
}
