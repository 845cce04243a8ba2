using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastDht.Engine.Keyspace.Internal;

/// <summary>
/// One thread of the process, below the request threads' scheduling priority (Linux: 10 nice steps lower), that runs a throttled
/// slot move's scans and its old owner's drop batches (docs/elasticity.md, "Throttling"): <c>await LowPriorityWork.Enter();</c>
/// continues there.
/// </summary>
/// <remarks>
/// On a machine whose cores the requests keep busy, a batch of the copy on a thread of equal priority is one more
/// runnable thread: the kernel gives it its share, and a socket event thread that wakes meanwhile waits for a core
/// (docs/benchmarks.md: the copy's operations had a p99 of 2.0-3.1x the one before the moves at a 20% duty cycle). Ten
/// nice steps lower (a tenth of the weight) an event thread that wakes takes the core first, and while the requests keep the
/// cores busy the batch's work stretches: the duty cycle measures that as longer work and rests longer. Only throttled
/// work goes here: an unthrottled move (rate 0, catching up, the handover, a copy that writes outpace) must run at the
/// speed of the machine; and a move whose batch waited <see cref="StarvedAfter"/> for the thread leaves it. The work holds no lock across a batch (the scan is lock-free; the drop takes one key's gate
/// at a time), so a descheduled batch blocks no request. Elsewhere than Linux the thread runs at normal priority.
/// </remarks>
internal static class LowPriorityWork
{
    /// <summary>How many nice steps the thread goes below the others: weight 110 against 1024 for a request thread at nice 0.</summary>
    internal const int NiceSteps = 10;

    /// <summary>
    /// A wait for the thread this long says the machine is busy with more than the requests (other processes at normal
    /// priority): a move's work then goes on at normal priority, else it could take ten times as long (seen at load 30-40).
    /// </summary>
    internal static readonly TimeSpan StarvedAfter = TimeSpan.FromMilliseconds(10);

    private static readonly BlockingCollection<Action> Queue = new(new ConcurrentQueue<Action>());
    private static readonly Lazy<Thread> Worker = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Whether the thread's priority was lowered (false elsewhere than Linux, or when the call failed).</summary>
    internal static bool IsLowered { get; private set; }

    /// <summary>An awaitable that continues the caller on the low-priority thread (at once when already there).</summary>
    public static SwitchAwaitable Enter() => default;

    /// <summary>Whether the calling thread is the low-priority one.</summary>
    internal static bool IsCurrent => Worker.IsValueCreated && ReferenceEquals(Thread.CurrentThread, Worker.Value);

    private static Thread Start()
    {
        var thread = new Thread(Run) { IsBackground = true, Name = "FastDht low-priority work" };
        thread.UnsafeStart();
        return thread;
    }

    private static void Run()
    {
        IsLowered = TryLowerThisThread();
        foreach (var continuation in Queue.GetConsumingEnumerable())
            continuation(); // an async method's continuation: its exceptions go to its task
    }

    private static bool TryLowerThisThread()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            // Linux applies (get|set)priority(PRIO_PROCESS, tid) to the one thread; raising the nice value needs no
            // privilege. getpriority's -1 could also be an error: then the thread ends at nice 9, still below the others.
            var tid = gettid();
            return setpriority(PrioProcess, tid, Math.Min(19, getpriority(PrioProcess, tid) + NiceSteps)) == 0;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    private const int PrioProcess = 0;

    [DllImport("libc", EntryPoint = "setpriority")]
    private static extern int setpriority(int which, int who, int prio);

    [DllImport("libc", EntryPoint = "getpriority")]
    private static extern int getpriority(int which, int who);

    [DllImport("libc", EntryPoint = "gettid")]
    private static extern int gettid();

    /// <summary>What <see cref="Enter"/> returns.</summary>
    internal readonly struct SwitchAwaitable
    {
        public SwitchAwaiter GetAwaiter() => default;
    }

    /// <summary>Queues the continuation to the low-priority thread.</summary>
    internal readonly struct SwitchAwaiter : ICriticalNotifyCompletion
    {
        public bool IsCompleted => IsCurrent;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => Post(continuation);

        public void UnsafeOnCompleted(Action continuation) => Post(continuation);

        private static void Post(Action continuation)
        {
            _ = Worker.Value;
            Queue.Add(continuation);
        }
    }
}
