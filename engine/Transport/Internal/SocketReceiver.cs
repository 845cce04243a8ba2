using System.IO.Pipelines;
using System.Net.Sockets;

namespace FastDht.Engine.Transport.Internal;

/// <summary>The one receive operation a connection reuses for its whole life.</summary>
internal sealed class SocketReceiver : SocketAwaitableEventArgs
{
    public SocketReceiver(PipeScheduler scheduler)
        : base(scheduler)
    {
    }

    /// <summary>A zero-byte receive: completes when data is available without pinning a buffer meanwhile.</summary>
    public ValueTask<SocketOperationResult> WaitForDataAsync(Socket socket)
    {
        SetBuffer(Memory<byte>.Empty);
        return Complete(socket.ReceiveAsync(this));
    }

    public ValueTask<SocketOperationResult> ReceiveAsync(Socket socket, Memory<byte> buffer)
    {
        SetBuffer(buffer);
        return Complete(socket.ReceiveAsync(this));
    }
}
