using System.Diagnostics;
using FastDht.Storage;

namespace FastDht.Engine.Keyspace;

/// <summary>
/// Reclaims the memory of expired keys that nobody reads again: a background pass over the entries that carry an
/// expiry, removing the ones whose time has passed (logged, under each key's gate, like any other write).
/// </summary>
/// <remarks>
/// Redis samples 20 keys with a TTL ten times a second and repeats while a quarter of a sample had expired. FastDht's
/// store can enumerate only the entries that carry an expiry (shards holding none are skipped), so instead of sampling
/// this walks them with a cursor, a bounded batch per tick, and carries the cursor over: every expired key is found
/// within one full walk, and the cost per tick is bounded whatever the key count. Keys without an expiry cost nothing.
/// Like Redis, a tick goes on while it keeps finding expired keys: another batch follows as long as at least a tenth of
/// the last one had expired (Redis's acceptable stale share), within a quarter of one core (25 ms of each 100 ms tick,
/// Redis's slow-cycle budget), so a mass expiry is reclaimed at up to that rate rather than 2000 keys a tick.
/// Measured in docs/benchmarks.md ("Active expiry": cost per examined and per removed entry, reclaim time).
/// Reads never wait for this pass: an expired key is absent to every reader the moment its time passes (lazy expiry in
/// <see cref="LocalKeyspace.TryGet(ReadOnlySpan{byte}, out ReadOnlyMemory{byte}, out long)"/>).
/// </remarks>
internal sealed class ActiveExpiry
{
    // 100 ms: Redis's default hz of 10. 2000 entries a tick: up to 20,000 expiring entries examined a second, a few
    // milliseconds of one core at most, so that a node with a million keys with TTLs walks them all in under a minute.
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private const int EntriesPerTick = 2000;

    // 25 ms of a 100 ms tick: at most a quarter of one core, Redis's ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC.
    private static readonly long TickBudget = Stopwatch.Frequency / 40;

    private readonly LocalKeyspace _keyspace;
    private ulong _cursor;

    public ActiveExpiry(LocalKeyspace keyspace)
    {
        _keyspace = keyspace;
    }

    /// <summary>The latency monitor a tick reports its time to as Redis's "expire-cycle" event; null for none.</summary>
    public Diagnostics.LatencyMonitor? Latency { get; set; }

    /// <summary>Keys removed by the pass so far (INFO's expired_keys counts these and the lazily removed ones alike).</summary>
    public long Removed => Volatile.Read(ref _removed);

    private long _removed;

    /// <summary>Runs the pass every tick until <paramref name="stopping"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
                RunTick();
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// One tick: a batch, then more while the last one found at least a tenth of its entries expired, until the walk
    /// wraps or the tick's time budget is spent. Returns the keys removed.
    /// </summary>
    public int RunTick()
    {
        var started = Stopwatch.GetTimestamp();
        var removed = 0;
        while (true)
        {
            var batch = RunOnce(out var examined);
            removed += batch;
            if (_cursor == 0 || examined == 0 || batch * 10 < examined || Stopwatch.GetTimestamp() - started >= TickBudget)
            {
                Latency?.AddIfNeeded("expire-cycle", Stopwatch.GetTimestamp() - started);
                return removed;
            }
        }
    }

    /// <summary>One batch: examines up to <see cref="EntriesPerTick"/> expiring entries and removes the expired ones.</summary>
    public int RunOnce(out int examined)
    {
        var visitor = new ExpiredCollector(_keyspace.NowMs);
        _cursor = _keyspace.ScanExpiring(_cursor, EntriesPerTick, ref visitor);
        examined = visitor.Examined;
        if (visitor.Expired is not { } expired)
            return 0;
        var removed = 0;
        foreach (var key in expired)
        {
            if (_keyspace.RemoveIfExpired(key))
                removed++;
        }
        Interlocked.Add(ref _removed, removed);
        return removed;
    }

    /// <summary>Copies out the keys whose expiry has passed; the removal happens after the scan, under each key's gate.</summary>
    private struct ExpiredCollector(long now) : IStoreEntryVisitor
    {
        public List<byte[]>? Expired { get; private set; }

        public int Examined { get; private set; }

        public void Visit(in StoreEntry entry)
        {
            Examined++;
            if (entry.Metadata.HasExpiry && entry.Metadata.ExpiresAt <= now)
                (Expired ??= []).Add(entry.Key.ToArray());
        }
    }
}
