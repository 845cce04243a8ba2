using System.Net.Sockets;

namespace FastDht.Engine.Transport.Internal;

/// <summary>A connection's registration with one epoll event thread: its descriptor, its key, and the readiness of each direction.</summary>
/// <remarks>
/// The key (slot index and a generation, <see cref="EpollLoop"/>) is what the kernel hands back with each event: a
/// descriptor number is reused as soon as it is closed, so the event thread never looks a connection up by it.
/// The runtime's <see cref="Socket"/> stays the owner of the descriptor (options, shutdown, close) but never runs an
/// asynchronous operation on it, so the runtime never registers it in its own epoll.
/// </remarks>
internal sealed class EpollSocket
{
    public EpollSocket(Socket socket, EpollLoop loop)
    {
        Socket = socket;
        Loop = loop;
        // Read once: the descriptor lives as long as the Socket, which is closed only after Unregister.
        Descriptor = (int)socket.SafeHandle.DangerousGetHandle();
    }

    public Socket Socket { get; }

    public EpollLoop Loop { get; }

    public int Descriptor { get; }

    /// <summary>The slot and generation the event thread knows this registration by; set by <see cref="EpollLoop.Register"/>.</summary>
    public ulong Key { get; set; }

    public EpollReadiness Readable { get; } = new();

    public EpollReadiness Writable { get; } = new();

    /// <summary>The end of the batch a send loop deferred its send to (<see cref="EpollLoop.TryDefer"/>); set only by the event thread.</summary>
    public EpollReadiness BatchEnd { get; } = new();

    /// <summary>What an event says, for both directions: hang-ups and errors wake both, so each loop meets the error in its syscall.</summary>
    public void OnEvent(uint events)
    {
        if ((events & (LinuxSockets.EPOLLRDHUP | LinuxSockets.EPOLLHUP | LinuxSockets.EPOLLERR)) != 0)
        {
            // The end of the input (or an error) is reported once: every later read must find it.
            Readable.SignalFinal();
        }
        else if ((events & LinuxSockets.EPOLLIN) != 0)
        {
            Readable.Signal();
        }

        if ((events & (LinuxSockets.EPOLLHUP | LinuxSockets.EPOLLERR)) != 0)
        {
            Writable.SignalFinal();
        }
        else if ((events & LinuxSockets.EPOLLOUT) != 0)
        {
            Writable.Signal();
        }
    }
}
