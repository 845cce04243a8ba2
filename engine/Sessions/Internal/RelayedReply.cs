using System.IO.Pipelines;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Sessions.Internal;

/// <summary>An owner's answer relayed to the client under the client's request id, straight from the link's receive pipe.</summary>
internal readonly struct RelayedReply(uint originRequestId, Frame answer) : IReply
{
    public void Write(PipeWriter writer) => FrameWriter.WriteRelayed(writer, answer, originRequestId, FrameFlags.None);
}
