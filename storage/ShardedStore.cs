using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastDht.Storage.Internal;

namespace FastDht.Storage;

/// <summary>The in-memory concurrent store: keys hashed onto independently locked shards, with lock-free reads.</summary>
/// <remarks>
/// <para><b>Requirements.</b> Many threads read and write at once; no update is lost; a read never
/// sees a torn value and allocates nothing; a value handed out stays valid and unchanged forever;
/// about 80 bytes or less per small key, all overhead included.</para>
/// <para><b>Layout.</b> A key's 64-bit XXH3 hash (per-process random seed, against hash flooding)
/// picks a shard from its high bits. Each shard owns one open-addressing table (linear probing)
/// of references to entries, and a parallel array of one-byte tags. An entry is one immutable
/// byte[] holding [key length][key][value] (see <c>Internal/Entry.cs</c> for the arithmetic).</para>
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
/// <para><b>Not atomic:</b> <see cref="Count"/>, <see cref="GetStats"/> and <see cref="Clear"/>
/// act shard by shard; each shard's part is atomic, the whole is not a snapshot.</para>
/// <para><b>Memory.</b> An entry is freed by the GC once neither the table nor any caller holds it,
/// which is what makes snapshots safe without epochs or reference counts.</para>
/// </remarks>
public sealed class ShardedStore : IKeyValueStore
{
    private readonly Shard[] _shards;
    private readonly int _shardMask;
    private readonly KeyHasher _hasher;

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
        _shardMask = shardCount - 1;
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
        ulong hash = _hasher.Hash(key);
        byte[]? entry = ShardOf(hash).Find(key, hash);
        if (entry is null)
        {
            value = default;
            return false;
        }

        value = Entry.Value(entry);
        return true;
    }

    /// <inheritdoc/>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ulong hash = _hasher.Hash(key);
        byte[] entry = Entry.Create(key, value);
        ShardOf(hash).Upsert(key, hash, entry);
    }

    /// <inheritdoc/>
    public bool PutIfAbsent(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ulong hash = _hasher.Hash(key);
        Shard shard = ShardOf(hash);

        // Present already: answer without allocating an entry or taking the lock.
        if (shard.Find(key, hash) is not null)
        {
            return false;
        }

        return shard.Insert(key, hash, Entry.Create(key, value));
    }

    /// <inheritdoc/>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        ulong hash = _hasher.Hash(key);
        Shard shard = ShardOf(hash);
        return shard.Find(key, hash) is not null && shard.Remove(key, hash);
    }

    /// <inheritdoc/>
    public bool TryReplace(ReadOnlySpan<byte> key, ReadOnlyMemory<byte> expected, ReadOnlySpan<byte> value)
    {
        if (!MemoryMarshal.TryGetArray(expected, out ArraySegment<byte> segment) || segment.Array is not { } expectedEntry)
        {
            return false;
        }

        ulong hash = _hasher.Hash(key);
        Shard shard = ShardOf(hash);

        // Already changed: fail before allocating the replacement.
        if (!ReferenceEquals(shard.Find(key, hash), expectedEntry))
        {
            return false;
        }

        return shard.Replace(key, hash, expectedEntry, Entry.Create(key, value));
    }

    /// <inheritdoc/>
    public bool TryGetAndPut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> previous)
    {
        ulong hash = _hasher.Hash(key);
        byte[] entry = Entry.Create(key, value);
        byte[]? replaced = ShardOf(hash).Upsert(key, hash, entry);
        if (replaced is null)
        {
            previous = default;
            return false;
        }

        previous = Entry.Value(replaced);
        return true;
    }

    /// <inheritdoc/>
    public StoreStats GetStats()
    {
        long keys = 0, keyBytes = 0, valueBytes = 0, slots = 0, tombstones = 0;

        // The store object and its shard array: header 16 + fields 24, and an array of references.
        long estimated = 40 + Entry.AlignedArraySize(8L * _shards.Length);
        foreach (Shard shard in _shards)
        {
            shard.AddStats(ref keys, ref keyBytes, ref valueBytes, ref estimated, ref slots, ref tombstones);
        }

        return new StoreStats(keys, keyBytes, valueBytes, estimated, slots, tombstones);
    }

    /// <inheritdoc/>
    public void Clear()
    {
        foreach (Shard shard in _shards)
        {
            shard.Clear();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Shard ShardOf(ulong hash) => _shards[KeyHasher.Shard(hash, _shardMask)];
}
