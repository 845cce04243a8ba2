using System.Diagnostics;
using System.Globalization;
using FastDht.Engine.Keyspace;
using FastDht.Locking;
using FastDht.Storage;

namespace FastDht.Benchmarks.Storage;

/// <summary>
/// What the active expiry pass costs: CPU per expiring entry it examines while none has expired, CPU per key it removes,
/// how many 100 ms ticks a mass expiry takes to reclaim, and the memory given back.
/// </summary>
/// <remarks>
/// Usage: <c>dotnet run -c Release --project benchmarks -- active-expiry [--keys N] [--plain N]</c>. Loads N keys of 16
/// bytes with 16-byte values, each with an expiry an hour ahead, and <c>--plain</c> keys without one (the pass must not
/// pay for those), into a node's keyspace (store, lock table, clock) with no log. Then: one full walk with nothing
/// expired (the steady cost of having TTLs); the clock moves two hours on and the pass's ticks run back to back until
/// every expiring key is gone (the reclaim; on a node each tick starts 100 ms after the last one). CPU is the process's
/// (user + system) over each phase, on one thread; the memory is the managed heap after a full GC.
/// </remarks>
public static class ActiveExpiryCost
{
    public static int Run(ReadOnlySpan<string> args)
    {
        int keys = 1_000_000;
        int plain = 0;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--keys" when i + 1 < args.Length:
                    keys = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--plain" when i + 1 < args.Length:
                    plain = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                default:
                    Console.Error.WriteLine($"active-expiry: unknown argument '{args[i]}'. Usage: active-expiry [--keys N] [--plain N]");
                    return 2;
            }
        }

        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var store = new ShardedStore(new StoreOptions());
        using var locks = new LockTable();
        var keyspace = new LocalKeyspace(store, locks, time: clock);
        var expiry = new ActiveExpiry(keyspace);

        long expiresAt = clock.GetUtcNow().AddHours(1).ToUnixTimeMilliseconds();
        Span<byte> key = stackalloc byte[16];
        Span<byte> value = stackalloc byte[16];
        "key:"u8.CopyTo(key);
        "val:"u8.CopyTo(value);
        for (int i = 0; i < keys + plain; i++)
        {
            i.TryFormat(key[4..], out _, "D12", CultureInfo.InvariantCulture);
            store.Put(key, value, i < keys ? EntryMetadata.Expiring(expiresAt) : default);
        }

        long heapLoaded = HeapAfterFullCollect();
        Console.WriteLine($"runtime      : .NET {Environment.Version}, {Environment.ProcessorCount} logical CPUs, load average {LoadAverage()}");
        Console.WriteLine($"keys         : {keys:N0} with an expiry, {plain:N0} without; managed heap {heapLoaded / (1 << 20):N0} MiB");

        // Steady state: nothing has expired; one full walk of the expiring entries.
        var cpu = Cpu();
        var wall = Stopwatch.GetTimestamp();
        long examined = 0;
        int batches = 0;
        while (examined < keys)
        {
            expiry.RunOnce(out int n);
            examined += n;
            batches++;
            if (n == 0)
            {
                break;
            }
        }

        double walkCpuMs = (Cpu() - cpu).TotalMilliseconds;
        double walkWallMs = Stopwatch.GetElapsedTime(wall).TotalMilliseconds;
        Console.WriteLine($"walk         : {examined:N0} entries examined in {batches:N0} batches (ticks), {walkCpuMs:N0} ms CPU, {walkWallMs:N0} ms wall: {walkCpuMs * 1e6 / Math.Max(1, examined):F0} ns CPU per entry, {walkCpuMs / Math.Max(1, batches):F2} ms CPU per tick; a full walk takes {batches / 10.0:N1} s at 10 ticks a second");

        // Mass expiry: every expiring key is past its time at once.
        clock.Advance(TimeSpan.FromHours(2));
        cpu = Cpu();
        wall = Stopwatch.GetTimestamp();
        long removed = 0;
        int ticks = 0;
        while (removed < keys && ticks < 1_000_000)
        {
            removed += expiry.RunTick();
            ticks++;
        }

        double reclaimCpuMs = (Cpu() - cpu).TotalMilliseconds;
        double reclaimWallMs = Stopwatch.GetElapsedTime(wall).TotalMilliseconds;
        long heapAfter = HeapAfterFullCollect();
        Console.WriteLine($"reclaim      : {removed:N0} keys removed in {ticks:N0} ticks, {reclaimCpuMs:N0} ms CPU, {reclaimWallMs:N0} ms wall: {reclaimCpuMs * 1e6 / Math.Max(1, removed):F0} ns CPU per key; at 10 ticks a second that is {ticks / 10.0:N1} s");
        Console.WriteLine($"memory       : managed heap {heapLoaded / (1 << 20):N0} MiB -> {heapAfter / (1 << 20):N0} MiB after the reclaim ({(heapLoaded - heapAfter) / (double)Math.Max(1, removed):F1} B per removed key given back); {store.Count:N0} keys left");
        GC.KeepAlive(store);
        return 0;
    }

    private static TimeSpan Cpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    private static long HeapAfterFullCollect()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    /// <summary>A clock the measurement moves by hand, so keys expire exactly when it says.</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
