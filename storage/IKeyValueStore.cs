namespace FastDht.Storage;

/// <summary>A concurrent map from byte keys to byte values: the storage abstraction the engine uses.</summary>
/// <remarks>
/// <para>
/// Every method is safe to call from many threads at once, and every single-key operation is
/// linearizable: it takes effect at one instant between its call and its return.
/// </para>
/// <para>
/// A value handed out (by the <c>TryGet</c> and <c>TryGetAndPut</c> members, and by <see cref="Scan{TVisitor}"/>) is an immutable
/// snapshot: it stays valid and unchanged after any later overwrite or delete of its key, and it
/// is never recycled. Callers may hold it as long as they like; it is ordinary GC memory.
/// </para>
/// <para>
/// An entry may carry <see cref="EntryMetadata"/> (expiry time, version). The members without a
/// metadata parameter write entries without metadata (as Redis SET drops a TTL); the overloads with
/// one write it, <see cref="TryGetAndPutKeepingMetadata"/> keeps it (SET ... KEEPTTL), and
/// <see cref="TryReplaceMetadata"/> changes only it (EXPIRE, PERSIST). Read-modify-write that keeps
/// the metadata (INCR) reads it with the value and passes it back to the compare-and-swap.
/// </para>
/// <para>
/// Keys are grouped into <see cref="StoreOptions.SlotCount"/> hash slots (see
/// <see cref="StoreOptions.SlotFunction"/>). <see cref="Scan{TVisitor}"/> enumerates everything, a slot
/// or a slot range in batches, with a cursor that survives concurrent writes and resizes.
/// </para>
/// </remarks>
public interface IKeyValueStore
{
    /// <summary>The number of keys held (a sum over independent parts; exact when no write is in flight).</summary>
    long Count { get; }

    /// <summary>Looks a key up without allocating.</summary>
    /// <returns><see langword="true"/> and the value's snapshot if the key is present.</returns>
    bool TryGet(ReadOnlySpan<byte> key, out ReadOnlyMemory<byte> value);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/>, replacing any previous value (upsert).</summary>
    void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Stores the value only if the key is absent.</summary>
    /// <returns><see langword="true"/> if and only if this call stored the value.</returns>
    bool PutIfAbsent(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Removes a key.</summary>
    /// <returns><see langword="true"/> if and only if this call removed a key that was present.</returns>
    bool Delete(ReadOnlySpan<byte> key);

    /// <summary>Compare-and-swap: replaces the value only if the key still holds the very snapshot <paramref name="expected"/>.</summary>
    /// <remarks>
    /// The comparison is by identity, not by content: <paramref name="expected"/> must be a snapshot
    /// this store returned for the key, and the swap succeeds only if no write to the key has
    /// published another value since (even one with equal bytes). Identity has no ABA problem because
    /// snapshots are never reused. Returns <see langword="false"/> when the key is absent or when
    /// <paramref name="expected"/> did not come from this store.
    /// </remarks>
    bool TryReplace(ReadOnlySpan<byte> key, ReadOnlyMemory<byte> expected, ReadOnlySpan<byte> value);

    /// <summary>Upsert that returns the value it replaced, atomically (Redis GETSET / SET ... GET).</summary>
    /// <returns><see langword="true"/> and the previous snapshot if the key was present; otherwise <see langword="false"/>.</returns>
    bool TryGetAndPut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> previous);

    /// <summary>Looks a key up without allocating, returning its metadata with the value (both from one entry).</summary>
    bool TryGet(ReadOnlySpan<byte> key, out ReadOnlyMemory<byte> value, out EntryMetadata metadata);

    /// <summary>Upsert whose entry carries <paramref name="metadata"/> (SET ... EX).</summary>
    void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, EntryMetadata metadata);

    /// <summary>Stores the value with <paramref name="metadata"/> only if the key is absent (SET ... NX EX).</summary>
    /// <returns><see langword="true"/> if and only if this call stored the value.</returns>
    bool PutIfAbsent(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, EntryMetadata metadata);

    /// <summary>Compare-and-swap by identity, as <see cref="TryReplace(ReadOnlySpan{byte}, ReadOnlyMemory{byte}, ReadOnlySpan{byte})"/>, writing <paramref name="metadata"/> with the new value.</summary>
    /// <remarks>To keep the key's metadata, pass the metadata read with <paramref name="expected"/>: if anything changed since, the swap fails.</remarks>
    bool TryReplace(ReadOnlySpan<byte> key, ReadOnlyMemory<byte> expected, ReadOnlySpan<byte> value, EntryMetadata metadata);

    /// <summary>Upsert with <paramref name="metadata"/> returning the value and metadata it replaced, atomically.</summary>
    /// <returns><see langword="true"/> and the previous snapshot and metadata if the key was present.</returns>
    bool TryGetAndPut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, EntryMetadata metadata, out ReadOnlyMemory<byte> previous, out EntryMetadata previousMetadata);

    /// <summary>Upsert that keeps the metadata of the value it replaces (SET ... KEEPTTL), returning that value, atomically.</summary>
    /// <returns><see langword="true"/> and the previous snapshot if the key was present (its metadata carried over); otherwise the key is stored without metadata.</returns>
    bool TryGetAndPutKeepingMetadata(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out ReadOnlyMemory<byte> previous);

    /// <summary>Compare-and-swap of the metadata alone (EXPIRE, PERSIST): succeeds only if the key still holds the snapshot <paramref name="expected"/>.</summary>
    /// <remarks>
    /// Entries are immutable, so the new entry copies the key and value: the cost grows with the
    /// value's size. The value's snapshot changes identity, like any other write to the key.
    /// </remarks>
    bool TryReplaceMetadata(ReadOnlySpan<byte> key, ReadOnlyMemory<byte> expected, EntryMetadata metadata);

    /// <summary>Compare-and-delete: removes the key only if it still holds the snapshot <paramref name="expected"/> (expiring a key without deleting a newer value).</summary>
    /// <returns><see langword="true"/> if and only if this call removed the key.</returns>
    bool TryDelete(ReadOnlySpan<byte> key, ReadOnlyMemory<byte> expected);

    /// <summary>The key's hash slot, as this store groups keys.</summary>
    int SlotOf(ReadOnlySpan<byte> key);

    /// <summary>Counts the keys of one slot (CLUSTER COUNTKEYSINSLOT) by reading only that slot's shard.</summary>
    /// <remarks>Exact when no write is in flight; otherwise a count the slot had at some instant for keys untouched meanwhile.</remarks>
    long CountKeysInSlot(int slot);

    /// <summary>Visits one batch of the keys in <paramref name="slots"/> and returns the cursor for the next batch, 0 when done.</summary>
    /// <remarks>
    /// <para>Start with cursor 0 and call again with each returned cursor until it is 0. Guarantee
    /// (Redis SCAN's, slightly stronger): a key present from the first call to the last is visited
    /// exactly once, whatever is written and however the tables resize meanwhile; a key added or
    /// removed meanwhile may or may not be visited, and one deleted and re-added during the
    /// enumeration may be visited twice. A batch visits about
    /// <paramref name="count"/> keys (a hint: it ends only where the next batch can start exactly,
    /// so it may visit a few more, or fewer or none when it also bounds the positions it read).</para>
    /// <para><paramref name="onlyWithExpiry"/> visits only entries with an expiry time, skipping shards
    /// that hold none: the active-expiry pass. The visitor runs without any lock held and may write
    /// to the store. Nothing is allocated per key: entries are reported as slices of the store's
    /// immutable entries.</para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1, or the cursor was not returned by this store.</exception>
    ulong Scan<TVisitor>(ulong cursor, SlotRange slots, int count, ref TVisitor visitor, bool onlyWithExpiry = false)
        where TVisitor : IStoreEntryVisitor, allows ref struct;

    /// <summary>Counts keys and bytes, including an estimate of the memory the store holds.</summary>
    StoreStats GetStats();

    /// <summary>Removes every key.</summary>
    void Clear();

    /// <summary>
    /// Prepares the store to hold <paramref name="keys"/> keys without growing on the way: a hint given before a bulk
    /// load (a snapshot at start). A store that does not size ahead may ignore it.
    /// </summary>
    /// <remarks>
    /// Why it matters beyond the rehashes saved: a snapshot lists keys in the order of the store it was read from,
    /// and a hash table fed keys in its own home-position order while it is still too small piles them into one long
    /// probe run (quadratic). Sized for the whole load first, the same order fills the table evenly.
    /// </remarks>
    void EnsureCapacity(long keys)
    {
    }

    /// <summary>
    /// Starts loading the index slots and entries of several keys into the cache at once, before they are looked up
    /// one by one (the keys of a pipelined read): a hint that changes nothing. A store may ignore it.
    /// </summary>
    /// <param name="source">The bytes the keys lie in.</param>
    /// <param name="keys">The keys, as ranges of <paramref name="source"/>; empty ranges are skipped.</param>
    /// <returns>A value derived from the memory read, to be ignored (it keeps the loads from being optimised away).</returns>
    int Prefetch(ReadOnlySpan<byte> source, ReadOnlySpan<Range> keys) => 0;
}
