using System.Runtime.InteropServices;

namespace FastDht.Engine.Transport.Internal;

/// <summary>One epoll event thread: waits for a batch of edges, wakes each connection's loop inline, runs the after-batch hooks, then sends the batch's replies.</summary>
/// <remarks>
/// Registrations live in a slot table; the 64-bit key given to the kernel is (generation &lt;&lt; 32 | slot), and an event
/// whose slot is empty or holds another generation (the connection closed after the kernel queued the event) is
/// dropped. Registering and removing take a lock (once per connection); the event thread reads the table without one:
/// a slot is written before its descriptor is added and cleared after it is removed (EPOLL_CTL_DEL), and the array is
/// replaced, never resized in place, when it grows. The thread never makes a syscall on a connection's descriptor:
/// the connection's own loops do, so a closed (and reused) descriptor number is never touched from here.
/// Replies made while the thread dispatches a batch are not sent as each command finishes: the send loop that would
/// send one parks itself here (<see cref="TryDefer"/>) and is woken after the batch, as Redis writes its replies in
/// beforeSleep. The syscalls are the same (one send per connection with output), but a client sees the batch's replies
/// arrive together and handles them in one wake-up, where one send per command woke it for the first and let it sleep
/// again before the next (the co-located client's CPU per request rose with this engine, docs/benchmarks.md); and
/// what a connection writes across several reads of one batch leaves in one send.
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

    // The loop whose batch this thread is dispatching now (null between batches and on every other thread).
    [ThreadStatic]
    private static EpollLoop? t_dispatching;

    // Sockets whose send loop waits for the end of this batch; touched only by the event thread.
    private EpollSocket[] _deferred = new EpollSocket[64];
    private int _deferredCount;

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

    /// <summary>
    /// Called by a send loop with output to send: true when it runs on this loop's thread in the middle of a batch, and
    /// then <paramref name="socket"/>'s <see cref="EpollSocket.BatchEnd"/> is signalled once the batch's events are
    /// handled; false anywhere else (a command finished on the thread pool, the batch's end itself): send now.
    /// </summary>
    public bool TryDefer(EpollSocket socket)
    {
        if (t_dispatching != this)
        {
            return false;
        }

        if (_deferredCount == _deferred.Length)
        {
            Array.Resize(ref _deferred, _deferred.Length * 2);
        }

        socket.BatchEnd.Consume();
        _deferred[_deferredCount++] = socket;
        return true;
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

    /// <summary>Wakes every send loop that waited for the batch's end; each sends inline, in the order its reply was made.</summary>
    private void SendDeferred()
    {
        // A woken loop sends at once (t_dispatching is null now) and cannot defer again in this pass.
        for (int i = 0; i < _deferredCount; i++)
        {
            EpollSocket socket = _deferred[i];
            _deferred[i] = null!;
            socket.BatchEnd.Signal();
        }

        _deferredCount = 0;
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
            t_dispatching = this;
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

            t_dispatching = null;
            EpollSocketEngine.RunAfterBatch();
            SendDeferred();
        }
    }
}
