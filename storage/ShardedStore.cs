using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastDht.Storage.Internal;

namespace FastDht.Storage;

/// <summary>The in-memory concurrent store: keys hashed onto independently locked shards, with lock-free reads.</summary>
/// <remarks>
/// <para><b>Requirements.</b> Many threads read and write at once; no update is lost; a read never
/// sees a torn value and allocates nothing; a value handed out stays valid and unchanged forever;
/// about 80 bytes or less per small key, all overhead included.</para>
/// <para><b>Layout.</b> A key's slot (<see cref="StoreOptions.SlotFunction"/>) picks its shard, so a
/// slot's keys live together (see <c>Internal/SlotMap.cs</c>). Each shard owns one open-addressing
/// table (linear probing from a home position given by the key's 64-bit XXH3 hash with a
/// per-process random seed, against hash flooding) of references to entries, and a parallel array
/// of one-byte tags (slot bits, topped up with hash bits). An entry is one immutable byte[] holding
/// [key length][key][value], behind a metadata prefix only when it has an expiry or a version (see
/// <c>Internal/Entry.cs</c> for the arithmetic).</para>
/// <para><b>Writers</b> take their shard's lock. They never modify an entry: a put allocates a new
/// entry (outside the lock) and publishes it with a release write of the slot; a delete writes a
/// tombstone; a slot never returns to null while its table is published. A rehash builds a new
/// table privately and publishes it with one release write of the shard's table reference; the old
/// table is never written again.</para>
/// <para><b>Readers</b> take no lock: they acquire-read the table reference, then probe, each slot
/// with an acquire read. Why a read is linearizable:
/// (1) An entry a reader finds was the key's current entry at the instant its slot was read, and
/// it is immutable, so it is returned whole (never torn).
/// (2) A key present throughout a read stays in one slot of that table (an overwrite replaces the
/// reference in place; only a delete moves it out), every slot before it on its probe chain is
/// non-null (slots never return to null), and a tag changes only when a tombstone is reused by a
/// new key. So the reader reaches it. A reader on a table that a concurrent rehash has replaced
/// sees that table's final state, which was current at the rehash, within the read's interval.
/// (3) Hence a miss means the key was absent at some instant during the read.
/// Writes are linearizable at their slot write under the lock; lock-free pre-checks (PutIfAbsent
/// finding the key present, Delete or TryReplace finding it absent or changed) return early,
/// linearized at the read that decided them.</para>
/// <para><b>Enumeration</b> (<see cref="Scan{TVisitor}"/>) reads without locking; its cursor is a
/// shard and a hash, and why it visits every key present throughout exactly once, across resizes,
/// is argued on <c>Shard.Scan</c>.</para>
/// <para><b>Not atomic:</b> <see cref="Count"/>, <see cref="GetStats"/> and <see cref="Clear"/>
/// act shard by shard; each shard's part is atomic, the whole is not a snapshot.</para>
/// <para><b>Memory.</b> An entry is freed by the GC once neither the table nor any caller holds it,
/// which is what makes snapshots safe without epochs or reference counts.</para>
/// </remarks>
public sealed class ShardedStore : IKeyValueStore
{
    private readonly Shard[] _shards;
    private readonly KeyHasher _hasher;
    private readonly SlotMap _map;

    /// <summary>Creates a store with default options.</summary>
    public ShardedStore()
        : this(new StoreOptions())
    {
    }

    /// <summary>Creates a store with the given options.</summary>
    public ShardedStore(StoreOptions options)
        : this(options, KeyHasher.Default)
    {
    }

    internal ShardedStore(StoreOptions options, KeyHasher hasher)
    {
        ArgumentNullException.ThrowIfNull(options);
        int shardCount = options.ResolveShardCount();
        int initialKeys = options.ResolveInitialCapacity();
        _hasher = hasher;
        _map = new SlotMap(shardCount, options.SlotFunction);
        _shards = new Shard[shardCount];
        for (int i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new Shard(hasher, initialKeys);
        }
    }

    /// <summary>Number of shards this store was built with.</summary>
    public int ShardCount => _shards.Length;

    /// <inheritdoc/>
    public long Count
    {
        get
        {
            long count = 0;
            foreach (Shard shard in _shards)
            {
                count += shard.Count;
            }

            return count;
        }
    }

    /// <inheritdoc/>
    public bool TryGet(ReadOnlySpan<byte> key, out ReadOnlyMemory<byte> value)
    {
        byte[]? entry = Find(key);
        if (entry is null)
        {
            value = default;
            return false;
        }

        value = Entry.Value(entry);
        return true;
    }

    /// <inheritdoc/>
    public bool TryGet(ReadOnlySpan<byte> key, out ReadOnlyMemory<byte> value, out EntryMetadata metadata)
    {
        byte[]? entry = Find(key);
        if (entry is null)
        {
            value = default;
            metadata = default;
            return false;
        }

        value = Entry.Value(entry);
        metadata = Entry.Metadata(entry);
        return true;
    }

    /// <inheritdoc/>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Locate(key, out ulong hash, out Shard shard, out byte tag);
        shard.Upsert(key, hash, tag, Entry.Create(key, value));
    }

    /// <inheritdoc/>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, EntryMetadata metadata)
    {
        Locate(key, out ulong hash, out Shard shard, out byte tag);
        shard.Upsert(key, hash, tag, Entry.Create(key, value, metadata));
    }

    /// <inheritdoc/>
    public bool PutIfAbsent(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => PutIfAbsent(key, value, default);

    /// <inheritdoc/>
    public bool PutIfAbsent(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, EntryMetadata metadata)
    {
        Locate(key, out ulong hash, out Shard shard, out byte tag);

        // Present already: answer without allocating an entry or taking the lock.
        if (shard.Find(key, hash, tag) is not null)
        {
            return false;
        }

        return shard.Insert(key, hash, tag, Entry.Create(key, value, metadata));
    }

    /// <inheritdoc/>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        Locate(key, out ulong hash, out Shard shard, out byte tag);
        return shard.Find(key, hash, tag) is not null && shard.Remove(key, hash, tag, expected: null);
    }

    /// <inheritdoc/>
    public bool TryDelete(ReadOnlySpan<byte> key, ReadOnlyMemory<byte> expected)
    {
        if (!TryGetEntry(expected, out byte[]? expectedEntry))
        {
            return false;
        }

        Locate(key, out ulong hash, out Shard shard, out byte tag);
        return ReferenceEquals(shard.Find(key, hash, tag), expectedEntry) && shard.Remove(key, hash, tag, expectedEntry);
    }

    /// <inheritdoc/>
    public bool TryReplace(ReadOnlySpan<byte> key, ReadOnlyMemory<byte> expected, ReadOnlySpan<byte> value) =>
        TryReplace(key, expected, value, default);

    /// <inheritdoc/>
    public bool TryReplace(ReadOnlySpan<byte> key, ReadOnlyMemory<byte> expected, ReadOnlySpan<byte> value, EntryMetadata metadata)
    {
        if (!TryGetEntry(expected, out byte[]? expectedEntry))
        {
            return false;
        }

        Locate(key, out ulong hash, out Shard shard, out byte tag);

        // Already changed: fail before allocating the replacement.
        if (!ReferenceEquals(shard.Find(key, hash, tag), expectedEntry))
        {
            return false;
        }

        return shard.Replace(key, hash, tag, expectedEntry, Entry.Create(key, value, metadata));
    }

    /// <inheritdoc/>
    public bool TryReplaceMetadata(ReadOnlySpan<byte> key, ReadOnlyMemory<byte> expected, EntryMetadata metadata)
    {
        if (!TryGetEntry(expected, out byte[]? expectedEntry))
        {
            return false;
        }

        Locate(key, out ulong hash, out Shard shard, out byte tag);
        if (!ReferenceEquals(shard.Find(key, hash, tag), expectedEntry))
        {
            return false;
        }

        return shard.Replace(key, hash, tag, expectedEntry, Entry.WithMetadata(expectedEntry, metadata));
    }

    /// <inheritdoc/>
    public bool TryGetAndPut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> previous) =>
        TryGetAndPut(key, value, default, out previous, out _);

    /// <inheritdoc/>
    public bool TryGetAndPut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, EntryMetadata metadata, out ReadOnlyMemory<byte> previous, out EntryMetadata previousMetadata)
    {
        Locate(key, out ulong hash, out Shard shard, out byte tag);
        byte[]? replaced = shard.Upsert(key, hash, tag, Entry.Create(key, value, metadata));
        return Report(replaced, out previous, out previousMetadata);
    }

    /// <inheritdoc/>
    public bool TryGetAndPutKeepingMetadata(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> previous)
    {
        Locate(key, out ulong hash, out Shard shard, out byte tag);

        // Build the entry outside the lock with the metadata seen now; the shard rebuilds it only if that changed.
        byte[]? current = shard.Find(key, hash, tag);
        EntryMetadata seen = current is null ? default : Entry.Metadata(current);
        byte[]? replaced = shard.UpsertKeepingMetadata(key, value, hash, tag, Entry.Create(key, value, seen), seen);
        return Report(replaced, out previous, out _);
    }

    /// <inheritdoc/>
    public int SlotOf(ReadOnlySpan<byte> key) => _map.Slot(key, _hasher.Hash(key));

    /// <inheritdoc/>
    public long CountKeysInSlot(int slot)
    {
        if ((uint)slot >= StoreOptions.SlotCount)
        {
            Throw.ArgumentOutOfRange(nameof(slot), $"A slot must lie in [0, {StoreOptions.SlotCount}); got {slot}.");
        }

        int shard = _map.Shard(slot);
        _map.TryFilter(SlotRange.Single(slot), shard, out TagFilter filter);
        return _shards[shard].CountSlot(slot, filter, _map);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The cursor is the shard index in its high 32 bits and, in its low 32 bits, the hash below
    /// which that shard's keys have all been visited. Shards of the store that hold none of the
    /// range's slots are skipped without reading them.
    /// </remarks>
    public ulong Scan<TVisitor>(ulong cursor, SlotRange slots, int count, ref TVisitor visitor, bool onlyWithExpiry = false)
        where TVisitor : IStoreEntryVisitor, allows ref struct
    {
        if (count < 1)
        {
            Throw.ArgumentOutOfRange(nameof(count), $"The batch size hint must be 1 or more; got {count}.");
        }

        int shard = (int)(cursor >> 32);
        long from = (uint)cursor;
        if (shard >= _shards.Length)
        {
            Throw.BadCursor(cursor);
        }

        int wanted = count;

        // Positions a batch may read beyond the keys it visits: bounds the work on sparse or filtered tables.
        int budget = (int)Math.Min(int.MaxValue, Math.Max(count, 16) * 64L);
        for (; shard < _shards.Length; shard++, from = 0)
        {
            if (!_map.TryFilter(slots, shard, out TagFilter filter))
            {
                continue;
            }

            if (wanted <= 0 || budget <= 0)
            {
                return (ulong)shard << 32;
            }

            var scope = new ScanScope(slots, filtered: filter.Confirm, filter, onlyWithExpiry);
            long next = _shards[shard].Scan(from, scope, _map, ref wanted, ref budget, ref visitor);
            if (next != Shard.Finished)
            {
                return ((ulong)shard << 32) | (ulong)next;
            }
        }

        return 0;
    }

    /// <inheritdoc/>
    public StoreStats GetStats()
    {
        // The store object and its shard array: header 16 + fields 40, and an array of references.
        var totals = new StatsTotals { EstimatedBytes = 56 + Entry.AlignedArraySize(8L * _shards.Length) };
        foreach (Shard shard in _shards)
        {
            shard.AddStats(ref totals);
        }

        return new StoreStats(totals.Keys, totals.KeyBytes, totals.ValueBytes, totals.EstimatedBytes, totals.Slots, totals.Tombstones, totals.Expiring);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Keys spread evenly over the shards (slots are interleaved), so each shard is sized for its share plus four
    /// standard deviations of the binomial spread: no shard should need to grow during the load.
    /// </remarks>
    public void EnsureCapacity(long keys)
    {
        if (keys <= 0)
        {
            return;
        }

        double share = (double)keys / _shards.Length;
        int perShard = (int)Math.Min(Array.MaxLength, Math.Ceiling(share + (4 * Math.Sqrt(share)) + 16));
        foreach (Shard shard in _shards)
        {
            shard.EnsureCapacity(perShard);
        }
    }

    /// <inheritdoc/>
    public void Clear()
    {
        foreach (Shard shard in _shards)
        {
            shard.Clear();
        }
    }

    private static bool TryGetEntry(ReadOnlyMemory<byte> snapshot, [NotNullWhen(true)] out byte[]? entry)
    {
        if (MemoryMarshal.TryGetArray(snapshot, out ArraySegment<byte> segment) && segment.Array is { } array)
        {
            entry = array;
            return true;
        }

        entry = null;
        return false;
    }

    private static bool Report(byte[]? replaced, out ReadOnlyMemory<byte> previous, out EntryMetadata previousMetadata)
    {
        if (replaced is null)
        {
            previous = default;
            previousMetadata = default;
            return false;
        }

        previous = Entry.Value(replaced);
        previousMetadata = Entry.Metadata(replaced);
        return true;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A random key's lookup misses the cache twice, one load after the other: its table slot, then its entry (about
    /// 100 ns each from memory). Here the keys' home slots are computed first (hashing only), then read with their tags in
    /// one tight loop, then the entries they point at are touched in another, so the misses of all keys overlap instead of
    /// adding up; the lookups that follow find both in the cache. Plain loads, no prefetch instruction (no unsafe
    /// code): each loop is a few instructions per key, so all its loads are in flight together. The slot read is the
    /// first of the few after home whose tag matches the key's (Find's own filter); a tombstone or another key's entry
    /// found there is a wasted hint, not an error.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public int Prefetch(ReadOnlySpan<byte> source, ReadOnlySpan<Range> keys)
    {
        // Shard numbers and positions, not references: storing a reference (even into a stack buffer) costs a GC
        // write barrier per key.
        Span<int> shards = stackalloc int[PrefetchBatch];
        Span<int> positions = stackalloc int[PrefetchBatch];
        Span<byte> tags = stackalloc byte[PrefetchBatch];
        int sink = 0;
        for (int start = 0; start < keys.Length; start += PrefetchBatch)
        {
            int n = Math.Min(PrefetchBatch, keys.Length - start);
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<byte> key = source[keys[start + i]];
                if (key.IsEmpty)
                {
                    shards[i] = -1;
                    continue;
                }

                ulong hash = _hasher.Hash(key);
                int slot = _map.Slot(key, hash);
                int shard = _map.Shard(slot);
                tags[i] = _map.Tag(slot, hash);
                Table table = _shards[shard].Table;
                shards[i] = shard;
                positions[i] = table.Home(hash);
                sink += table.Tags[positions[i]];
            }

            for (int i = 0; i < n; i++)
            {
                if (shards[i] < 0)
                {
                    continue;
                }

                // The key's entry is at the first position of its probe run whose tag matches (most often home, often
                // one or two further): follow the tags a few positions, as Find does, without loading entries.
                // A writer on another thread may have replaced the table since the first loop (grown it, or shrunk it
                // with FLUSHALL or a compaction): a position of the old one may lie past the new one's end.
                Table table = _shards[shards[i]].Table;
                byte[] tagArray = table.Tags;
                int position = positions[i];
                if ((uint)position >= (uint)tagArray.Length || (uint)position >= (uint)table.Slots.Length)
                {
                    shards[i] = -1;
                    continue;
                }

                int end = Math.Min(position + PrefetchProbe, tagArray.Length);
                for (int p = position; p < end; p++)
                {
                    if (tagArray[p] == tags[i])
                    {
                        position = p;
                        break;
                    }
                }

                positions[i] = position;
                sink += table.Slots[position] is null ? 0 : 1;
            }

            for (int i = 0; i < n; i++)
            {
                if (shards[i] < 0)
                {
                    continue;
                }

                byte[]?[] slots = _shards[shards[i]].Table.Slots;
                if ((uint)positions[i] < (uint)slots.Length && Volatile.Read(ref slots[positions[i]]) is { } entry)
                {
                    sink += entry.Length;
                }
            }
        }

        return sink;
    }

    /// <summary>Positions of a probe run <see cref="Prefetch"/> follows by tag: most keys are within a few of home.</summary>
    private const int PrefetchProbe = 4;

    /// <summary>Keys per round of <see cref="Prefetch"/>: about as many loads as a core keeps in flight.</summary>
    private const int PrefetchBatch = 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte[]? Find(ReadOnlySpan<byte> key)
    {
        Locate(key, out ulong hash, out Shard shard, out byte tag);
        return shard.Find(key, hash, tag);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Locate(ReadOnlySpan<byte> key, out ulong hash, out Shard shard, out byte tag)
    {
        hash = _hasher.Hash(key);
        int slot = _map.Slot(key, hash);
        shard = _shards[_map.Shard(slot)];
        tag = _map.Tag(slot, hash);
    }
}
