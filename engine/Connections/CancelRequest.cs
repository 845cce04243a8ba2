using FastDht.Protocol;

namespace FastDht.Engine.Connections;

/// <summary>What a cancellable request's token registration needs to fail that one request: its session and id.</summary>
internal sealed class CancelRequest(FrameSession session, uint id)
{
    /// <summary>The message a cancelled request fails with (status Timeout); callers compare by reference.</summary>
    public static readonly string CanceledMessage = "cancelled by the caller";

    public void Run()
    {
        // Whoever removes the entry owns the completion: if the response won the race, this finds nothing.
        if (session.Requests.TryRemove(id, out var request))
            request.OnFailure(StatusCode.Timeout, CanceledMessage);
    }
}
