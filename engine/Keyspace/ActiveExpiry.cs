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
/// Reads never wait for this pass: an expired key is absent to every reader the moment its time passes (lazy expiry in
/// <see cref="LocalKeyspace.TryGet(ReadOnlySpan{byte}, out ReadOnlyMemory{byte}, out long)"/>).
/// </remarks>
internal sealed class ActiveExpiry
{
    // 100 ms: Redis's default hz of 10. 2000 entries a tick: up to 20,000 expiring entries examined a second, a few
    // milliseconds of one core at most, so that a node with a million keys with TTLs walks them all in under a minute.
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private const int EntriesPerTick = 2000;

    private readonly LocalKeyspace _keyspace;
    private ulong _cursor;

    public ActiveExpiry(LocalKeyspace keyspace)
    {
        _keyspace = keyspace;
    }

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
                RunOnce();
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One batch: examines up to <see cref="EntriesPerTick"/> expiring entries and removes the expired ones.</summary>
    public int RunOnce()
    {
        var visitor = new ExpiredCollector(_keyspace.NowMs);
        _cursor = _keyspace.ScanExpiring(_cursor, EntriesPerTick, ref visitor);
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

        public void Visit(in StoreEntry entry)
        {
            if (entry.Metadata.HasExpiry && entry.Metadata.ExpiresAt <= now)
                (Expired ??= []).Add(entry.Key.ToArray());
        }
    }
}
