using System.Diagnostics;
using FastDht.Storage.Durability.Internal;
using FastDht.TestUtilities;

namespace FastDht.Storage.Tests.Durability;

/// <summary>The group commit's hold: a sleeper woken by the lowering, or at its deadline, without spending the processor meanwhile.</summary>
public sealed class HoldSignalTests
{
    private static long Deadline(TimeSpan after) => Stopwatch.GetTimestamp() + (long)(after.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Runs <paramref name="body"/> on a dedicated thread (the flush thread is one), completing when it returns.</summary>
    private static Task OnThread(Action body)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                body();
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }) { IsBackground = true, Name = "hold signal test" };
        thread.Start();
        return done.Task;
    }

    [Fact]
    public async Task A_sleeper_is_woken_by_the_lowering_long_before_its_deadline()
    {
        var signal = new HoldSignal();
        signal.Raise();
        var thread = 0;
        var sleeper = OnThread(() =>
        {
            Volatile.Write(ref thread, ThreadId());
            signal.Sleep(Deadline(TimeSpan.FromMinutes(10)));
        });
        // Lower only once it is asleep: a lowering before the sleep returns at once, so it would not test the wake-up.
        await Bounded.UntilAsync(() => Volatile.Read(ref thread) != 0 && IsAsleep(Volatile.Read(ref thread)), "the sleeper asleep");
        Assert.False(sleeper.IsCompleted, "the sleeper sleeps while the flag is raised");
        Assert.True(signal.TryLower());
        signal.Wake();
        // 5 s rather than the default 20: without the wake-up the sleep still ends at the runtime's next signal to the
        // thread (a garbage collection suspends threads with one), seconds later; with it, at once.
        await sleeper.WithinAsync("the sleeper woken by the lowering", TimeSpan.FromSeconds(5));
        Assert.False(signal.IsRaised);
        Assert.False(signal.TryLower(), "lowered once only");
    }

    [Fact]
    public async Task A_sleep_nobody_lowers_ends_at_its_deadline_still_raised_and_a_lowered_flag_does_not_sleep()
    {
        var signal = new HoldSignal();
        signal.Raise();
        await OnThread(() => signal.Sleep(Deadline(TimeSpan.FromMilliseconds(50)))).WithinAsync("the sleep ended at its deadline");
        Assert.True(signal.IsRaised, "the caller lowers it after a timeout, not the sleep");

        Assert.True(signal.TryLower());
        await OnThread(() => signal.Sleep(Deadline(TimeSpan.FromMinutes(10)))).WithinAsync("a sleep on a lowered flag returns at once");
    }

    [Fact]
    public async Task A_sleeper_spends_no_processor_time_while_it_waits()
    {
        if (!OperatingSystem.IsLinux())
            return; // the thread's own CPU time is read from /proc
        var signal = new HoldSignal();
        signal.Raise();
        long ticks = 0;
        await OnThread(() =>
        {
            var before = ThreadCpuTicks();
            signal.Sleep(Deadline(TimeSpan.FromSeconds(2)));
            ticks = ThreadCpuTicks() - before;
        }).WithinAsync("the two-second sleep");
        // A yield loop (the hold before this type) spent the whole 2 s on an idle processor: about 200 ticks of 10 ms.
        Assert.True(ticks < 10, $"the sleeper spent {ticks} ticks of processor time in a 2 s sleep");
    }

    /// <summary>The operating system's id of this thread (Linux: from /proc/thread-self; elsewhere 1).</summary>
    private static int ThreadId() =>
        OperatingSystem.IsLinux() ? int.Parse(Path.GetFileName(new DirectoryInfo("/proc/thread-self").ResolveLinkTarget(false)!.FullName)) : 1;

    /// <summary>Whether the thread sleeps in a system call (Linux: state S in /proc); elsewhere after 200 ms.</summary>
    private static bool IsAsleep(int thread)
    {
        if (!OperatingSystem.IsLinux())
        {
            Thread.Sleep(200);
            return true;
        }
        var stat = File.ReadAllText($"/proc/self/task/{thread}/stat");
        return stat[stat.LastIndexOf(')') + 2] == 'S';
    }

    /// <summary>This thread's user + system time in clock ticks (/proc/thread-self/stat fields 14 and 15).</summary>
    private static long ThreadCpuTicks()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11]) + long.Parse(fields[12]); // fields counted from the state (field 3)
    }
}
