using FastDht.Protocol;

namespace FastDht.Engine.Client.Internal;

/// <summary>What a cancellable request's token registration needs to fail that one request: its connection and id.</summary>
internal sealed class CancelRequest(ClientConnection connection, uint id)
{
    public void Run()
    {
        // Whoever removes the entry owns the completion: if the response won the race, this finds nothing.
        if (connection.Requests.TryRemove(id, out var request))
            request.OnFailure(StatusCode.Timeout, ClientConnection.CanceledMessage);
    }
}
