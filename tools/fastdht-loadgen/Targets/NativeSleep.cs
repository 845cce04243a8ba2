using System.Runtime.InteropServices;

namespace FastDht.LoadGen.Targets;

/// <summary>Linux's nanosleep and per-thread timer slack: sleeps of tens of microseconds without spinning (see <see cref="DelayLine"/>).</summary>
internal static class NativeSleep
{
    private const int PrSetTimerSlack = 29;

    /// <summary>Makes the calling thread's sleeps end as close to their deadline as the scheduler allows (slack 1 ns instead of 50 µs).</summary>
    public static void SetFineTimerSlack() => _ = Prctl(PrSetTimerSlack, 1, 0, 0, 0);

    /// <summary>Sleeps the calling thread for about <paramref name="nanoseconds"/> (an interrupted sleep ends early; the caller re-checks its deadline).</summary>
    public static void Nanoseconds(long nanoseconds)
    {
        var request = new Timespec { Seconds = nanoseconds / 1_000_000_000, Nanos = nanoseconds % 1_000_000_000 };
        _ = Nanosleep(in request, IntPtr.Zero);
    }

    // DllImport rather than LibraryImport: the generated marshalling needs unsafe code, which the build does not allow;
    // both signatures are blittable, so the runtime marshals nothing.
    [DllImport("libc", EntryPoint = "nanosleep")]
    private static extern int Nanosleep(in Timespec request, IntPtr remaining);

    [DllImport("libc", EntryPoint = "prctl")]
    private static extern int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanos;
    }
}
