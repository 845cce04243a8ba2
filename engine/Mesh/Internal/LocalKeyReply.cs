using System.IO.Pipelines;
using FastDht.Engine.Connections;
using FastDht.Protocol;

namespace FastDht.Engine.Mesh.Internal;

/// <summary>A single-key request run on the local keys as its reply is written, so the answer goes out in execution order; the session learns the status it answered.</summary>
/// <remarks>
/// <paramref name="mayDefer"/>: a request the session would rather send on than answer Moving (a client that keeps no
/// slot table, <see cref="FrameSession.DefersMoving"/>): the session checked that the key's slot was not being handed
/// away before it ran the request here, but the handover may begin in between; then nothing is written and the session
/// sends the request to the slot's owner once the handover is over.
/// </remarks>
internal readonly struct LocalKeyReply(FrameSession session, LocalKeyRequests keys, Frame frame, ProtocolLimits limits, bool mayDefer = false) : IReply
{
    public void Write(PipeWriter writer)
    {
        var defer = mayDefer && session.DefersMoving(frame.Header);
        var status = keys.Execute(writer, frame.Header, session.BodyOf(frame), limits, leaveMoving: defer);
        if (defer && status == StatusCode.Moving)
            session.DeferMoving(frame);
        else
            session.OnAnswered(frame.Header.Opcode, status);
    }
}
