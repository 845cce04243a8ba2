using FastDht.Engine.Transport.Internal;

namespace FastDht.Engine.Transport;

/// <summary>FastDht's own Linux socket engine: epoll event threads that receive and send for served plain-TCP connections.</summary>
/// <remarks>
/// Why hand-written: it is the product's hot path. The runtime's engine tries a receive as soon as the previous one
/// completed, finds the socket empty (EAGAIN) and only then waits on its edge-triggered epoll: two recv calls per
/// request where Redis makes one (docs/benchmarks.md, "Cost per request, load-independent"), and no place to run code
/// once per event-loop turn. This engine registers each connection's descriptor once (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET),
/// calls recv only when an edge arrived since the last short read (a read that fills its buffer reads again), sends at
/// once and waits for EPOLLOUT only after EAGAIN, and runs the connection's loops inline on the event thread, as the
/// runtime's inline completions did (the receive loop's read budget still hands a flooding client to the thread pool).
/// After each batch of events it runs the <see cref="OnAfterBatch"/> hooks (the seam for "one log write per loop turn"),
/// then sends the replies the batch made, one send per connection (EpollLoop), where each used to leave as its command
/// finished.
/// Which connections: those a <see cref="SocketListener"/> accepts with <see cref="ConnectionOptions.SocketEngine"/> set
/// to <see cref="SocketEngineKind.Epoll"/>, without TLS, on Linux. TLS connections run SslStream over the runtime's
/// socket, and dialed connections (SocketConnector) stay on the runtime as well: ConnectAsync has already registered
/// their socket in the runtime's epoll, so serving them here would wake two threads per arrival; they are a node's
/// few, deep peer links, where the extra receive is spread over many requests. A dial made for the engine
/// (<see cref="ConnectionOptions.DialsOnEpoll"/>: the smart client's <c>SocketEngine = Epoll</c>) connects without the
/// runtime's asynchronous connect and is served here: a client with many shallow connections (a load generator at
/// three nodes) wakes for a few answers each time, where the extra receive is a third of its syscalls.
/// The event threads are process-wide, like the runtime's: their number is set once, before the first connection
/// (<see cref="ConfigureThreads"/>, fastdht-node's --socket-threads), and they live as long as the process.
/// </remarks>
public static class EpollSocketEngine
{
    private static readonly Lock s_lock = new();
    private static EpollLoop[]? s_loops;
    private static int s_threads = 1;
    private static int s_next;
    private static Action[] s_afterBatch = [];

    /// <summary>Whether this process can run the engine (Linux on x64 or arm64); elsewhere connections use the runtime's engine.</summary>
    public static bool IsSupported { get; } =
        OperatingSystem.IsLinux()
        && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture is System.Runtime.InteropServices.Architecture.X64 or System.Runtime.InteropServices.Architecture.Arm64;

    /// <summary>How many event threads the engine starts; 1 unless <see cref="ConfigureThreads"/> changed it before the first connection.</summary>
    public static int Threads => Volatile.Read(ref s_threads);

    /// <summary>Whether the event threads exist yet (started by the first connection the engine serves).</summary>
    public static bool IsStarted => Volatile.Read(ref s_loops) is not null;

    /// <summary>Sets the number of event threads; effective only before the engine serves its first connection.</summary>
    /// <returns>False when the threads already run (the count then stays what it was).</returns>
    public static bool ConfigureThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        lock (s_lock)
        {
            if (s_loops is not null)
            {
                return threads == s_threads;
            }

            s_threads = threads;
            return true;
        }
    }

    /// <summary>
    /// Runs <paramref name="callback"/> on each event thread after every batch of events it handled: the replies and
    /// writes of that batch are made, not yet sent (the thread sends them right after the hooks, as Redis writes its
    /// replies at the end of beforeSleep; a reply held by an output barrier waits for it as well).
    /// </summary>
    /// <remarks>
    /// The seam for work done once per loop turn instead of once per request, as Redis writes and fsyncs its AOF in
    /// beforeSleep: e.g. one log write covering the whole batch, then the held replies. The callback runs on an event
    /// thread with every connection of that thread waiting: it must be short and must not block (hand slow work to a
    /// thread of its own), and must not throw (an exception ends the process, as on any thread of its own). It also
    /// runs after batches that served no request of the subscriber: check for work cheaply. Dispose the result to
    /// unsubscribe.
    /// </remarks>
    public static IDisposable OnAfterBatch(Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        lock (s_lock)
        {
            var grown = new Action[s_afterBatch.Length + 1];
            s_afterBatch.CopyTo(grown, 0);
            grown[^1] = callback;
            Volatile.Write(ref s_afterBatch, grown);
        }

        return new Subscription(callback);
    }

    /// <summary>Connections registered with the event threads now (tests: every closed connection must leave).</summary>
    internal static int Registered
    {
        get
        {
            int count = 0;
            foreach (EpollLoop loop in Volatile.Read(ref s_loops) ?? [])
            {
                count += loop.Registered;
            }

            return count;
        }
    }

    /// <summary>The event thread for a new connection: round robin over the threads, started on first use.</summary>
    internal static EpollLoop NextLoop()
    {
        EpollLoop[] loops = Volatile.Read(ref s_loops) ?? Start();
        return loops[(int)((uint)Interlocked.Increment(ref s_next) % (uint)loops.Length)];
    }

    internal static void RunAfterBatch()
    {
        Action[] callbacks = Volatile.Read(ref s_afterBatch);
        for (int i = 0; i < callbacks.Length; i++)
        {
            callbacks[i]();
        }
    }

    private static EpollLoop[] Start()
    {
        lock (s_lock)
        {
            if (s_loops is null)
            {
                var loops = new EpollLoop[s_threads];
                for (int i = 0; i < loops.Length; i++)
                {
                    loops[i] = new EpollLoop(i);
                }

                Volatile.Write(ref s_loops, loops);
            }

            return s_loops;
        }
    }

    private static void Remove(Action callback)
    {
        lock (s_lock)
        {
            int index = Array.IndexOf(s_afterBatch, callback);
            if (index < 0)
            {
                return;
            }

            var shrunk = new Action[s_afterBatch.Length - 1];
            Array.Copy(s_afterBatch, 0, shrunk, 0, index);
            Array.Copy(s_afterBatch, index + 1, shrunk, index, shrunk.Length - index);
            Volatile.Write(ref s_afterBatch, shrunk);
        }
    }

    /// <summary>One <see cref="OnAfterBatch"/> subscription.</summary>
    private sealed class Subscription(Action callback) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Remove(callback);
            }
        }
    }
}
