using System.Runtime.InteropServices;

namespace FastDht.Engine.Transport.Internal;

/// <summary>One epoll event thread: waits for a batch of edges, wakes each connection's loop inline, then runs the after-batch hooks.</summary>
/// <remarks>
/// Registrations live in a slot table; the 64-bit key given to the kernel is (generation &lt;&lt; 32 | slot), and an event
/// whose slot is empty or holds another generation (the connection closed after the kernel queued the event) is
/// dropped. Registering and removing take a lock (once per connection); the event thread reads the table without one:
/// a slot is written before its descriptor is added and cleared after it is removed (EPOLL_CTL_DEL), and the array is
/// replaced, never resized in place, when it grows. The thread never makes a syscall on a connection's descriptor:
/// the connection's own loops do, so a closed (and reused) descriptor number is never touched from here.
/// </remarks>
internal sealed unsafe class EpollLoop
{
    /// <summary>Events taken per epoll_wait: as many as Redis's loop takes per turn for a few hundred clients.</summary>
    private const int BatchSize = 256;

    private const uint Interest = LinuxSockets.EPOLLIN | LinuxSockets.EPOLLOUT | LinuxSockets.EPOLLRDHUP | LinuxSockets.EPOLLET;

    private readonly int _epoll;
    private readonly Lock _tableLock = new();
    private readonly Stack<int> _freeSlots = new();
    private EpollSocket?[] _slots = new EpollSocket?[64];
    private int _usedSlots;
    private uint _generation;
    private int _registered;

    public EpollLoop(int index)
    {
        _epoll = LinuxSockets.EpollCreate(LinuxSockets.EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw new IOException($"epoll_create1 failed (errno {Marshal.GetLastPInvokeError()})");
        }

        var thread = new Thread(Run) { IsBackground = true, Name = $"FastDht epoll {index}" };
        thread.UnsafeStart();
    }

    /// <summary>Connections registered now (tests: a closed connection must leave the table).</summary>
    public int Registered => Volatile.Read(ref _registered);

    /// <summary>Adds the socket, edge-triggered for both directions, once for its whole life.</summary>
    /// <returns>0, or the errno epoll_ctl failed with.</returns>
    public int Register(EpollSocket socket)
    {
        lock (_tableLock)
        {
            int slot;
            if (!_freeSlots.TryPop(out slot))
            {
                if (_usedSlots == _slots.Length)
                {
                    var grown = new EpollSocket?[_slots.Length * 2];
                    Array.Copy(_slots, grown, _slots.Length);
                    Volatile.Write(ref _slots, grown);
                }

                slot = _usedSlots++;
            }

            ulong key = ((ulong)++_generation << 32) | (uint)slot;
            socket.Key = key;
            Volatile.Write(ref _slots[slot], socket);
            int error = LinuxSockets.Control(_epoll, LinuxSockets.EPOLL_CTL_ADD, socket.Descriptor, Interest, key);
            if (error != 0)
            {
                _slots[slot] = null;
                _freeSlots.Push(slot);
                return error;
            }

            _registered++;
            return 0;
        }
    }

    /// <summary>Whether <paramref name="socket"/> is registered now.</summary>
    public bool Holds(EpollSocket socket)
    {
        lock (_tableLock)
        {
            int slot = (int)(uint)socket.Key;
            return slot < _slots.Length && ReferenceEquals(_slots[slot], socket);
        }
    }

    /// <summary>Removes the socket before its descriptor is closed; the slot is reused under a new generation.</summary>
    public void Unregister(EpollSocket socket)
    {
        lock (_tableLock)
        {
            int slot = (int)(uint)socket.Key;
            if (!ReferenceEquals(_slots[slot], socket))
            {
                return;
            }

            // DEL first: once it returns the kernel reports nothing new for the descriptor; events already taken
            // by the thread find the slot empty (or another generation) and are dropped.
            LinuxSockets.Control(_epoll, LinuxSockets.EPOLL_CTL_DEL, socket.Descriptor, 0, 0);
            Volatile.Write(ref _slots[slot], null);
            _freeSlots.Push(slot);
            _registered--;
        }
    }

    private void Run()
    {
        int size = LinuxSockets.EventSize;
        int dataOffset = LinuxSockets.DataOffset;
        byte* events = (byte*)NativeMemory.Alloc((nuint)(BatchSize * size));
        while (true)
        {
            int count = LinuxSockets.EpollWait(_epoll, events, BatchSize, -1);
            if (count < 0)
            {
                // EINTR (a signal, a debugger): wait again. Nothing else is expected from a valid epoll descriptor.
                continue;
            }

            EpollSocket?[] slots = Volatile.Read(ref _slots);
            for (int i = 0; i < count; i++)
            {
                byte* ev = events + (i * size);
                uint flags = System.Runtime.CompilerServices.Unsafe.ReadUnaligned<uint>(ev);
                ulong key = System.Runtime.CompilerServices.Unsafe.ReadUnaligned<ulong>(ev + dataOffset);
                int slot = (int)(uint)key;
                if ((uint)slot >= (uint)slots.Length)
                {
                    slots = Volatile.Read(ref _slots); // grown since this batch began
                    if ((uint)slot >= (uint)slots.Length)
                    {
                        continue;
                    }
                }

                EpollSocket? socket = Volatile.Read(ref slots[slot]);
                if (socket is null || socket.Key != key)
                {
                    continue;
                }

                // The connection's receive or send loop runs on from here, on this thread, up to its next wait.
                socket.OnEvent(flags);
            }

            EpollSocketEngine.RunAfterBatch();
        }
    }
}
