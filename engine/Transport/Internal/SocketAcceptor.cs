using System.IO.Pipelines;
using System.Net.Sockets;

namespace FastDht.Engine.Transport.Internal;

/// <summary>The listener's reusable accept operation.</summary>
internal sealed class SocketAcceptor : SocketAwaitableEventArgs
{
    public SocketAcceptor(PipeScheduler scheduler)
        : base(scheduler)
    {
    }

    public ValueTask<SocketOperationResult> AcceptAsync(Socket listenSocket)
    {
        AcceptSocket = null;
        return Complete(listenSocket.AcceptAsync(this));
    }

    /// <summary>Takes the accepted socket out of the operation so the next accept cannot overwrite it.</summary>
    public Socket TakeAcceptedSocket()
    {
        Socket socket = AcceptSocket ?? Throw.InvalidOperation<Socket>("The accept completed without a socket.");
        AcceptSocket = null;
        return socket;
    }
}
