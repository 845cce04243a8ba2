using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FastDht.Engine.Transport.Internal;

/// <summary>A pooled send operation: one buffer, or a whole multi-segment sequence in a single send.</summary>
internal sealed class SocketSender : SocketAwaitableEventArgs
{
    // Reused for every multi-segment send: BufferList copies it into the SAEA's own storage on assignment.
    private readonly List<ArraySegment<byte>> _segments = new();

    public SocketSender(PipeScheduler scheduler)
        : base(scheduler)
    {
    }

    public ValueTask<SocketOperationResult> SendAsync(Socket socket, in ReadOnlySequence<byte> buffers)
    {
        if (buffers.IsSingleSegment)
        {
            // SetBuffer throws if a BufferList is still attached, and vice versa; Reset clears both.
            SetBuffer(MemoryMarshal.AsMemory(buffers.First));
            return Complete(socket.SendAsync(this));
        }

        foreach (ReadOnlyMemory<byte> segment in buffers)
        {
            if (!MemoryMarshal.TryGetArray(segment, out ArraySegment<byte> array))
            {
                Throw.NotSupported("The transport's memory pool must hand out array-backed memory.");
            }

            _segments.Add(array);
        }

        BufferList = _segments;
        return Complete(socket.SendAsync(this));
    }

    /// <summary>Drops the references to pipe memory before the sender goes back to its pool.</summary>
    public void Reset()
    {
        if (BufferList is not null)
        {
            BufferList = null;
            _segments.Clear();
        }
        else
        {
            SetBuffer(null, 0, 0);
        }
    }
}
