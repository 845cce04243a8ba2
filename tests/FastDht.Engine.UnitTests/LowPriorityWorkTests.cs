using FastDht.Engine.Keyspace.Internal;

namespace FastDht.Engine.UnitTests;

public sealed class LowPriorityWorkTests
{
    [Fact]
    public async Task Work_entered_there_runs_on_one_thread_below_the_request_threads_priority()
    {
        Assert.False(LowPriorityWork.IsCurrent);
        var poolNice = OperatingSystem.IsLinux() ? NiceOfThisThread() : 0;
        await LowPriorityWork.Enter();
        Assert.True(LowPriorityWork.IsCurrent);
        var thread = Environment.CurrentManagedThreadId;
        var nice = OperatingSystem.IsLinux() ? NiceOfThisThread() : 0;
        // Entering again from there continues at once, on the same thread.
        await LowPriorityWork.Enter();
        Assert.Equal(thread, Environment.CurrentManagedThreadId);
        await Task.Yield();
        Assert.False(LowPriorityWork.IsCurrent);
        if (OperatingSystem.IsLinux())
        {
            Assert.True(LowPriorityWork.IsLowered);
            Assert.Equal(Math.Min(19, poolNice + LowPriorityWork.NiceSteps), nice);
            Assert.Equal(poolNice, NiceOfThisThread()); // the pool's threads keep theirs
        }
    }

    /// <summary>The calling thread's nice value: field 19 of /proc/thread-self/stat (after the command name's parenthesis).</summary>
    private static int NiceOfThisThread()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture); // field 3 is fields[0]
    }
}
