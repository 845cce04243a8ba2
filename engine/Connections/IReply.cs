using System.IO.Pipelines;

namespace FastDht.Engine.Connections;

/// <summary>
/// One response frame, ready to be written under a connection's writer lock: a small struct holding what it needs,
/// so that <see cref="FrameSession.ReplyAsync{TReply}"/> takes no closure and boxes nothing.
/// </summary>
internal interface IReply
{
    /// <summary>Writes the whole frame. Called with the writer lock held; must not block.</summary>
    void Write(PipeWriter writer);
}
