using System.Diagnostics;
using System.Runtime.InteropServices;

namespace FastDht.Storage.Durability.Internal;

/// <summary>
/// A flag one thread raises and then sleeps on until another lowers it, or a timeout of microseconds passes: the
/// group commit's hold (<see cref="WriteAheadLog"/>), where the flush thread sleeps until the writers in flight are in.
/// </summary>
/// <remarks>
/// <para>
/// Requirements: the sleeper must not burn a core (a yield loop held one of the machine's two cores for up to the
/// whole delay each round, while the threads it waited for needed it); the timeout is tens to hundreds of
/// microseconds (the default hold is 200 us), below the whole milliseconds every .NET wait resolves; the waker pays
/// nothing unless the flag is raised, and at most one system call when it is.
/// </para>
/// <para>
/// Design: on Linux a futex on a pinned word: <c>FUTEX_WAIT</c> sleeps only while the word still holds 1 (the kernel
/// checks it atomically, so a lowering between the caller's check and the sleep is never missed) with a relative
/// timeout in nanoseconds; <c>FUTEX_WAKE</c> wakes the sleeper. Elsewhere a monitor wait, its timeout rounded up to
/// whole milliseconds. <see cref="Raise"/> and <see cref="TryLower"/> run under the caller's own lock, so the word and
/// the condition it stands for (enough writers registered) change together; <see cref="Wake"/> runs after that lock
/// is released.
/// </para>
/// </remarks>
internal sealed class HoldSignal
{
    // x86-64 and arm64 syscall numbers of futex; the private operations (no other process shares the word).
    private const long FutexX64 = 202;
    private const long FutexArm64 = 98;
    private const int FutexWaitPrivate = 128;
    private const int FutexWakePrivate = 129;

    private static readonly long FutexNumber = !OperatingSystem.IsLinux() ? 0
        : RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => FutexX64,
            Architecture.Arm64 => FutexArm64,
            _ => 0,
        };

    // Pinned (the kernel sleeps on its address): 1 while the sleeper waits to be lowered.
    private readonly int[] _word = GC.AllocateArray<int>(1, pinned: true);
    private readonly object _monitor = new();

    /// <summary>Whether the flag is raised (read under the caller's lock).</summary>
    public bool IsRaised => Volatile.Read(ref _word[0]) != 0;

    /// <summary>Raises the flag; under the caller's lock, before <see cref="Sleep"/>.</summary>
    public void Raise() => Volatile.Write(ref _word[0], 1);

    /// <summary>Lowers the flag; under the caller's lock. True when it was raised: then call <see cref="Wake"/> after the lock.</summary>
    public bool TryLower()
    {
        if (Volatile.Read(ref _word[0]) == 0)
            return false;
        Volatile.Write(ref _word[0], 0);
        return true;
    }

    /// <summary>Wakes the sleeper after <see cref="TryLower"/> returned true.</summary>
    public void Wake()
    {
        if (FutexNumber != 0)
        {
            _ = FutexWake(FutexNumber, ref _word[0], FutexWakePrivate, 1, IntPtr.Zero, IntPtr.Zero, 0);
            return;
        }
        lock (_monitor)
            Monitor.PulseAll(_monitor);
    }

    /// <summary>
    /// Sleeps while the flag is raised, until <paramref name="deadline"/> (a <see cref="Stopwatch"/> timestamp);
    /// returns at once if it is already lowered. Never lowers it: the caller does, under its lock, when this returns raised.
    /// </summary>
    public void Sleep(long deadline)
    {
        while (IsRaised)
        {
            var remaining = deadline - Stopwatch.GetTimestamp();
            if (remaining <= 0)
                return;
            if (FutexNumber != 0)
            {
                // Returns on a wake, the timeout, a signal, or at once when the word is no longer 1: the loop rechecks.
                var nanoseconds = remaining * 1_000_000_000 / Stopwatch.Frequency;
                var timeout = new Timespec(nanoseconds / 1_000_000_000, nanoseconds % 1_000_000_000);
                _ = FutexWait(FutexNumber, ref _word[0], FutexWaitPrivate, 1, ref timeout, IntPtr.Zero, 0);
                continue;
            }
            lock (_monitor)
            {
                if (IsRaised)
                    Monitor.Wait(_monitor, (int)Math.Ceiling(remaining * 1000.0 / Stopwatch.Frequency));
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct Timespec(long seconds, long nanoseconds)
    {
        public readonly long Seconds = seconds;
        public readonly long Nanoseconds = nanoseconds;
    }

    // libc's syscall(2): futex has no libc wrapper. DllImport rather than LibraryImport: the generator needs unsafe code.
    [DllImport("libc", EntryPoint = "syscall")]
    private static extern long FutexWait(long number, ref int address, int operation, int value, ref Timespec timeout, IntPtr address2, int value3);

    [DllImport("libc", EntryPoint = "syscall")]
    private static extern long FutexWake(long number, ref int address, int operation, int value, IntPtr timeout, IntPtr address2, int value3);
}
