using System.Globalization;
using System.Runtime;
using FastDht.Storage;

namespace FastDht.Benchmarks.Storage;

/// <summary>
/// The memory-per-key measurement: loads N keys of 16 bytes ("key:%012d") with 16-byte values into a
/// <see cref="ShardedStore"/> and prints managed-heap and process-RSS growth per key; <c>--ttl</c> gives
/// every key an expiry time and <c>--versioned</c> a version, to measure what entry metadata costs.
/// </summary>
/// <remarks>
/// Usage: <c>dotnet run -c Release --project benchmarks -- memory-per-key [--keys N] [--shards N] [--presize] [--no-decommit] [--ttl] [--versioned]</c>.
/// Both figures are deltas against a baseline taken, after a full compacting GC, just before the
/// store is created, so the runtime's own footprint cancels out. Keys are formatted into stack
/// buffers: the only objects the load leaves behind are the store's.
/// </remarks>
public static class MemoryPerKey
{
    public static int Run(ReadOnlySpan<string> args)
    {
        int keys = 1_000_000;
        int shards = 0;
        bool presize = false;
        bool decommit = true;
        bool ttl = false;
        bool versioned = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--keys" when i + 1 < args.Length:
                    keys = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--shards" when i + 1 < args.Length:
                    shards = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--presize":
                    presize = true;
                    break;
                case "--no-decommit":
                    decommit = false;
                    break;
                case "--ttl":
                    ttl = true;
                    break;
                case "--versioned":
                    versioned = true;
                    break;
                default:
                    Console.Error.WriteLine($"memory-per-key: unknown argument '{args[i]}'. Usage: memory-per-key [--keys N] [--shards N] [--presize] [--no-decommit] [--ttl] [--versioned]");
                    return 2;
            }
        }

        var options = new StoreOptions { ShardCount = shards };
        Console.WriteLine($"runtime      : .NET {Environment.Version}, {Environment.ProcessorCount} logical CPUs");
        Console.WriteLine($"GC           : {(GCSettings.IsServerGC ? "server" : "workstation")}, concurrent={IsConcurrentGc()}, latency mode {GCSettings.LatencyMode}");

        FullCompactingCollect(decommit);
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        long committedBefore = GC.GetGCMemoryInfo().TotalCommittedBytes;
        long rssBefore = ResidentSetBytes();

        if (presize)
        {
            // Presized: every shard holds its share of the keys without a rehash.
            int shardCount = shards == 0 ? new ShardedStore(options).ShardCount : shards;
            options.InitialCapacity = Math.Max(1, (int)Math.Ceiling(keys * 1.05 / shardCount));
        }

        var store = new ShardedStore(options);
        Span<byte> key = stackalloc byte[16];
        Span<byte> value = stackalloc byte[16];
        "key:"u8.CopyTo(key);
        "val:"u8.CopyTo(value);
        for (int i = 0; i < keys; i++)
        {
            i.TryFormat(key[4..], out _, "D12", CultureInfo.InvariantCulture);
            (keys - i).TryFormat(value[4..], out _, "D12", CultureInfo.InvariantCulture);
            store.Put(key, value, new EntryMetadata(ttl ? 1_900_000_000_000 + i : 0, versioned ? (ulong)i + 1 : 0));
        }

        FullCompactingCollect(decommit);
        long heapAfter = GC.GetTotalMemory(forceFullCollection: true);
        long committedAfter = GC.GetGCMemoryInfo().TotalCommittedBytes;
        long rssAfter = ResidentSetBytes();
        StoreStats stats = store.GetStats();

        double n = Math.Max(1, stats.Keys);
        Console.WriteLine($"store        : {stats.Keys:N0} keys, {store.ShardCount} shards, {stats.IndexSlots:N0} index slots (load {stats.Keys / (double)stats.IndexSlots:F3}){(presize ? ", presized" : string.Empty)}, {stats.KeysWithExpiry:N0} with an expiry{(versioned ? ", versioned" : string.Empty)}");
        Console.WriteLine($"managed heap : {(heapAfter - heapBefore) / n,7:F1} B/key  (GC.GetTotalMemory delta {heapAfter - heapBefore:N0} B)");
        Console.WriteLine($"GC committed : {(committedAfter - committedBefore) / n,7:F1} B/key  (GCMemoryInfo.TotalCommittedBytes delta)");
        Console.WriteLine($"process RSS  : {(rssAfter - rssBefore) / n,7:F1} B/key  (VmRSS delta {rssAfter - rssBefore:N0} B)");
        Console.WriteLine($"store's own  : {stats.EstimatedBytes / n,7:F1} B/key  (StoreStats.EstimatedBytes)");
        GC.KeepAlive(store);
        return 0;
    }

    private static void FullCompactingCollect(bool decommit)
    {
        // The index tables are large-object-heap arrays; without this the LOH keeps old tables' holes.
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();

        // Aggressive: blocking and compacting like Forced, and it also decommits free space, so RSS
        // shows what the heap holds rather than what the GC kept around for future allocations.
        // --no-decommit shows the other figure: what a process that never asks for it holds.
        GC.Collect(GC.MaxGeneration, decommit ? GCCollectionMode.Aggressive : GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    /// <summary>Background (concurrent) GC shows as latency mode Batch when it is off, whichever way it was turned off.</summary>
    private static bool IsConcurrentGc() => GCSettings.LatencyMode != GCLatencyMode.Batch;

    /// <summary>VmRSS from /proc/self/status where it exists (Linux), otherwise the working set.</summary>
    private static long ResidentSetBytes()
    {
        const string Status = "/proc/self/status";
        if (File.Exists(Status))
        {
            foreach (string line in File.ReadLines(Status))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    string kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }

        return Environment.WorkingSet;
    }
}
