using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastDht.Engine.Transport.Internal;

/// <summary>The libc calls of the epoll engine: blittable LibraryImport signatures, so a call marshals nothing and allocates nothing.</summary>
/// <remarks>
/// Errors come back as errno through <see cref="Marshal.GetLastPInvokeError"/> (SetLastError), read at once after the
/// call. The epoll_event layout differs by architecture: packed (12 bytes, data at offset 4) on x86-64, natural (16
/// bytes, data at offset 8) elsewhere; <see cref="EventSize"/> and <see cref="DataOffset"/> say which, and the engine
/// reads and writes events through them instead of through a struct.
/// </remarks>
internal static unsafe partial class LinuxSockets
{
    private const string Libc = "libc";

    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLET = 1u << 31;

    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EPIPE = 32;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;
    public const int ETIMEDOUT = 110;
    public const int EHOSTUNREACH = 113;
    public const int ENETUNREACH = 101;
    public const int ENETRESET = 102;

    /// <summary>The size of one struct epoll_event on this architecture.</summary>
    public static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    /// <summary>Where epoll_event.data (the 64-bit key) sits in one event.</summary>
    public static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    [LibraryImport(Libc, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport(Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epfd, int op, int fd, byte* ev);

    [LibraryImport(Libc, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epfd, byte* events, int maxEvents, int timeout);

    [LibraryImport(Libc, EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport(Libc, EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nint length, int flags);

    /// <summary>Registers or removes <paramref name="fd"/>; returns 0 or an errno.</summary>
    public static int Control(int epfd, int op, int fd, uint events, ulong key)
    {
        byte* ev = stackalloc byte[16];
        Unsafe.WriteUnaligned(ev, events);
        Unsafe.WriteUnaligned(ev + DataOffset, key);
        return EpollCtl(epfd, op, fd, ev) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }

    /// <summary>The runtime's name for an errno a socket call returned, for logs and close reasons.</summary>
    public static System.Net.Sockets.SocketError ToSocketError(int errno) => errno switch
    {
        ECONNRESET => System.Net.Sockets.SocketError.ConnectionReset,
        EPIPE => System.Net.Sockets.SocketError.Shutdown,
        ECONNABORTED => System.Net.Sockets.SocketError.ConnectionAborted,
        ETIMEDOUT => System.Net.Sockets.SocketError.TimedOut,
        EHOSTUNREACH => System.Net.Sockets.SocketError.HostUnreachable,
        ENETUNREACH => System.Net.Sockets.SocketError.NetworkUnreachable,
        ENETRESET => System.Net.Sockets.SocketError.NetworkReset,
        _ => System.Net.Sockets.SocketError.SocketError,
    };
}
